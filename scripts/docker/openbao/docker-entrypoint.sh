#!/bin/sh
# Like the official images' entrypoints: a bare subcommand or flag runs bao; the dev server
# listens on 0.0.0.0:8200 and takes its root token from BAO_DEV_ROOT_TOKEN_ID, or from
# VAULT_DEV_ROOT_TOKEN_ID as the hashicorp/vault image does.
set -e

if [ "${1#-}" != "$1" ] || [ "$1" = 'server' ] || [ "$1" = 'version' ]; then
	set -- bao "$@"
fi

export BAO_DEV_ROOT_TOKEN_ID="${BAO_DEV_ROOT_TOKEN_ID:-${VAULT_DEV_ROOT_TOKEN_ID:-}}"
export BAO_DEV_LISTEN_ADDRESS="${BAO_DEV_LISTEN_ADDRESS:-${VAULT_DEV_LISTEN_ADDRESS:-0.0.0.0:8200}}"
if [ -z "$BAO_DEV_ROOT_TOKEN_ID" ]; then
	unset BAO_DEV_ROOT_TOKEN_ID
fi

exec "$@"
