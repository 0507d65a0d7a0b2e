package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpEntity;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.util.StringUtils;
import org.springframework.vault.VaultException;
import org.springframework.vault.authentication.SessionManager;
import org.springframework.vault.authentication.VaultLoginException;
import org.springframework.vault.core.VaultOperations;
import org.springframework.vault.support.VaultResponse;
import org.springframework.web.client.HttpStatusCodeException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientException;

/**
 * {@link DatabaseSecretsClient} on Spring Vault's {@link VaultOperations}, or on the library's own
 * {@link VaultHttp} with the token of a {@link SessionManager}, using the
 * {@code sys/leases/*} endpoints that both Vault and OpenBao (2.5.4+ has no other) serve. For a
 * static role it reads {@code <mount>/static-creds/<role>}: the password Vault manages and the time
 * until Vault rotates it (the "lease" then ends), with nothing to renew or revoke.
 */
public class VaultDatabaseSecretsClient implements DatabaseSecretsClient {

	private static final String RENEW_PATH = "sys/leases/renew";

	private static final String REVOKE_PATH = "sys/leases/revoke";

	// Either vault, or http with sessions.
	private final @Nullable VaultOperations vault;

	private final @Nullable VaultHttp http;

	private final @Nullable SessionManager sessions;

	private final String credentialsPath;

	private final String rolePath;

	private final boolean staticRole;

	private final Clock clock;

	public VaultDatabaseSecretsClient(VaultOperations vault, String mount, String role, Clock clock) {
		this(vault, mount, role, false, clock);
	}

	public VaultDatabaseSecretsClient(VaultOperations vault, String mount, String role, boolean staticRole,
			Clock clock) {
		this(vault, null, null, mount, role, staticRole, clock);
	}

	/**
	 * Create a client on the library's own {@link VaultHttp}, sending the session's token with each
	 * request: no {@code VaultTemplate} or {@code RestClient}, so neither they nor a JSON library
	 * are loaded for it.
	 * @param http the client that sends the requests
	 * @param sessions where the token comes from (logging in when there is none yet)
	 * @param mount the mount path of the database secrets engine
	 * @param role the role
	 * @param staticRole whether it is a static role
	 * @param clock the clock
	 */
	public VaultDatabaseSecretsClient(VaultHttp http, SessionManager sessions, String mount, String role,
			boolean staticRole, Clock clock) {
		this(null, http, sessions, mount, role, staticRole, clock);
	}

	private VaultDatabaseSecretsClient(@Nullable VaultOperations vault, @Nullable VaultHttp http,
			@Nullable SessionManager sessions, String mount, String role, boolean staticRole, Clock clock) {
		this.vault = vault;
		this.http = http;
		this.sessions = sessions;
		this.staticRole = staticRole;
		this.credentialsPath = trimSlashes(mount) + (staticRole ? "/static-creds/" : "/creds/") + role;
		this.rolePath = trimSlashes(mount) + (staticRole ? "/static-roles/" : "/roles/") + role;
		this.clock = clock;
	}

	@Override
	public boolean isStatic() {
		return this.staticRole;
	}

	@Override
	public DatabaseSecretsClient forRole(String mount, String role, boolean staticRole) {
		return new VaultDatabaseSecretsClient(this.vault, this.http, this.sessions, mount, role, staticRole,
				this.clock);
	}

	@Override
	public String credentialsPath() {
		return this.credentialsPath;
	}

	@Override
	public CredentialLease issue() {
		if (this.staticRole) {
			return readStatic();
		}
		// Vault counts the lease from when it handled the request, never before it was sent.
		Instant sent = this.clock.instant();
		VaultResponse response = exchange(this.credentialsPath, HttpMethod.GET, null, null);
		Map<String, Object> data = (response != null) ? response.getData() : null;
		if (response == null || data == null || !StringUtils.hasText(response.getLeaseId())) {
			throw new VaultRequestException(Failure.REJECTED, this.credentialsPath, 200,
					"Vault answered " + this.credentialsPath + " without credentials and a lease; is '"
							+ this.credentialsPath + "' a database secrets engine role?",
					null);
		}
		Object username = data.get("username");
		Object password = data.get("password");
		if (!(username instanceof String user) || !(password instanceof String pass)) {
			throw new VaultRequestException(Failure.REJECTED, this.credentialsPath, 200,
					"Vault answered " + this.credentialsPath + " without a username and password", null);
		}
		return CredentialLease.issued(new DatabaseCredentials(user, pass), response.getLeaseId(),
				response.isRenewable(), sent, Duration.ofSeconds(response.getLeaseDuration()));
	}

	private CredentialLease readStatic() {
		Instant sent = this.clock.instant();
		VaultResponse response = exchange(this.credentialsPath, HttpMethod.GET, null, null);
		Map<String, Object> data = (response != null) ? response.getData() : null;
		Object username = (data != null) ? data.get("username") : null;
		Object password = (data != null) ? data.get("password") : null;
		Object ttl = (data != null) ? data.get("ttl") : null;
		if (!(username instanceof String user) || !(password instanceof String pass) || !(ttl instanceof Number left)) {
			throw new VaultRequestException(Failure.REJECTED, this.credentialsPath, 200,
					"Vault answered " + this.credentialsPath + " without a username, password and ttl; is '"
							+ this.credentialsPath + "' a static role of the database secrets engine?",
					null);
		}
		// No lease: the "lease" is the password's validity, identified by when Vault last rotated it.
		Object rotated = data.get("last_vault_rotation");
		String generation = (rotated != null) ? rotated.toString().replaceAll("[^0-9]", "") : "0";
		return CredentialLease.issued(new DatabaseCredentials(user, pass), this.credentialsPath + "/" + generation,
				false, sent, Duration.ofSeconds(left.longValue()));
	}

	@Override
	public Optional<Duration> roleMaxTtl() {
		if (this.staticRole) {
			return Optional.empty();
		}
		try {
			VaultResponse response = send(this.rolePath, HttpMethod.GET, null, VaultResponse.class);
			Map<String, Object> data = (response != null) ? response.getData() : null;
			Object maxTtl = (data != null) ? data.get("max_ttl") : null;
			long seconds = (maxTtl instanceof Number number) ? number.longValue() : 0;
			// 0 means the mount's or the system's maximum applies, which this token cannot see.
			return (seconds > 0) ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
		}
		catch (RuntimeException ex) {
			// Most application policies may not read the role's configuration; then max_ttl is
			// learned from the first capped renewal.
			return Optional.empty();
		}
	}

	@Override
	public List<String> missingPermissions() {
		Map<String, String> needed = new LinkedHashMap<>();
		needed.put(this.credentialsPath, "read");
		if (!this.staticRole) {
			needed.put(RENEW_PATH, "update");
			needed.put(REVOKE_PATH, "update");
		}
		Map<String, Object> data;
		try {
			VaultResponse response = send("sys/capabilities-self", HttpMethod.POST,
					Map.of("paths", List.copyOf(needed.keySet())), VaultResponse.class);
			data = (response != null) ? response.getData() : null;
		}
		catch (RuntimeException ex) {
			return List.of();
		}
		if (data == null) {
			return List.of();
		}
		List<String> missing = new ArrayList<>();
		needed.forEach((path, capability) -> {
			Object granted = data.get(path);
			if (granted instanceof List<?> capabilities && !capabilities.contains(capability)
					&& !capabilities.contains("root") && !capabilities.contains("sudo")) {
				missing.add(capability + " on " + path);
			}
		});
		return missing;
	}

	@Override
	public LeaseRenewal renew(CredentialLease lease, Duration increment) {
		if (this.staticRole) {
			throw new VaultRequestException(Failure.REJECTED, RENEW_PATH, 0,
					"A static role's password has no lease to renew: " + this.credentialsPath, null);
		}
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("lease_id", lease.leaseId());
		body.put("increment", increment.toSeconds());
		VaultResponse response = exchange(RENEW_PATH, HttpMethod.PUT, body, lease);
		if (response == null) {
			throw new VaultRequestException(Failure.REJECTED, RENEW_PATH, 204,
					"Vault answered the renewal of " + lease.shortLeaseId() + " without a lease", null);
		}
		Duration granted = Duration.ofSeconds(response.getLeaseDuration());
		boolean capped = granted.compareTo(increment) < 0 || mentionsMaxTtl(response.getWarnings());
		return new LeaseRenewal(granted, response.isRenewable(), capped);
	}

	@Override
	public void revoke(CredentialLease lease) {
		if (this.staticRole) {
			// The user is the role's own; Vault keeps it and rotates its password.
			return;
		}
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("lease_id", lease.leaseId());
		body.put("sync", true);
		exchange(REVOKE_PATH, HttpMethod.PUT, body, lease);
	}

	/**
	 * Return whether Vault accepts the current token, by looking it up. Used to tell an invalid
	 * token from a token that lacks a policy when Vault answers 403.
	 * @return {@code false} only when Vault answered 403 to the token's own lookup
	 */
	public boolean isTokenAccepted() {
		try {
			send("auth/token/lookup-self", HttpMethod.GET, null, Map.class);
			return true;
		}
		catch (RuntimeException ex) {
			VaultRequestException failure = findCause(ex, VaultRequestException.class);
			HttpStatusCodeException status = findCause(ex, HttpStatusCodeException.class);
			int code = (failure != null) ? failure.getStatus() : (status != null) ? status.getStatusCode().value() : 0;
			return code != 403;
		}
	}

	private @Nullable VaultResponse exchange(String path, HttpMethod method, @Nullable Map<String, Object> body,
			@Nullable CredentialLease lease) {
		try {
			return send(path, method, body, VaultResponse.class, lease);
		}
		catch (HttpStatusCodeException ex) {
			throw translate(path, ex.getStatusCode(), ex.getResponseBodyAsString(), ex, lease);
		}
		catch (ResourceAccessException ex) {
			throw new VaultRequestException(Failure.UNAVAILABLE, path, 0,
					"Vault could not be reached for " + path + ": " + rootMessage(ex), ex);
		}
		catch (VaultLoginException ex) {
			boolean unreachable = hasCause(ex, IOException.class);
			throw new VaultRequestException(unreachable ? Failure.UNAVAILABLE : Failure.LOGIN_FAILED, path, 0,
					"Vault login failed before requesting " + path + ": " + rootMessage(ex), ex);
		}
		catch (VaultException | RestClientException ex) {
			// VaultTemplate wraps the HTTP error; its status decides what to do.
			HttpStatusCodeException status = findCause(ex, HttpStatusCodeException.class);
			if (status != null) {
				throw translate(path, status.getStatusCode(), status.getResponseBodyAsString(), ex, lease);
			}
			Failure failure = hasCause(ex, IOException.class) ? Failure.UNAVAILABLE : Failure.REJECTED;
			throw new VaultRequestException(failure, path, 0,
					"Vault request to " + path + " failed: " + sanitize(rootMessage(ex), lease), ex);
		}
	}

	private <T> @Nullable T send(String path, HttpMethod method, @Nullable Object body, Class<T> type) {
		return send(path, method, body, type, null);
	}

	// One request with the session's token, on whichever client this one was built on. An error
	// answer is translated here: VaultTemplate would parse its body as JSON itself, and a body that is
	// not valid JSON would escape as a parser exception, status lost.
	private <T> @Nullable T send(String path, HttpMethod method, @Nullable Object body, Class<T> type,
			@Nullable CredentialLease lease) {
		VaultHttp http = this.http;
		SessionManager sessions = this.sessions;
		if (http != null && sessions != null) {
			return send(http, sessions, path, method, body, type, lease);
		}
		VaultOperations vault = this.vault;
		if (vault == null) {
			throw new IllegalStateException("No Vault client");
		}
		return vault.doWithSession((operations) -> {
			try {
				return operations.exchange(path, method, (body != null) ? new HttpEntity<>(body) : HttpEntity.EMPTY, type)
					.getBody();
			}
			catch (HttpStatusCodeException ex) {
				throw translate(path, ex.getStatusCode(), ex.getResponseBodyAsString(), ex, lease);
			}
		});
	}

	private static <T> @Nullable T send(VaultHttp http, SessionManager sessions, String path, HttpMethod method,
			@Nullable Object body, Class<T> type, @Nullable CredentialLease lease) {
		// A login that fails throws here, before anything is sent, as it does in RestClient's interceptor.
		String token = sessions.getSessionToken().getToken();
		VaultHttp.Answer answer;
		try {
			answer = http.send(method, path, token, body);
		}
		catch (IOException ex) {
			throw new VaultRequestException(Failure.UNAVAILABLE, path, 0,
					"Vault could not be reached for " + path + ": " + rootMessage(ex), ex);
		}
		if (answer.isError()) {
			throw translate(path, HttpStatusCode.valueOf(answer.status()), answer.body(), null, lease);
		}
		try {
			Object read = (type == VaultResponse.class) ? answer.response()
					: StringUtils.hasText(answer.body()) ? VaultJson.parse(answer.body()) : null;
			return type.cast(read);
		}
		catch (IllegalArgumentException | ClassCastException ex) {
			throw new VaultRequestException(Failure.REJECTED, path, answer.status(),
					"Vault request to " + path + " failed: " + sanitize(String.valueOf(ex.getMessage()), lease), ex);
		}
	}

	static VaultRequestException translate(String path, HttpStatusCode status, String body,
			@Nullable Exception cause, @Nullable CredentialLease lease) {
		int code = status.value();
		String errors = sanitize(extractErrors(body), lease);
		String lower = errors.toLowerCase(Locale.ROOT);
		Failure failure;
		if (code == 400 && lease != null && RENEW_PATH.equals(path) && lower.contains("max ttl")) {
			failure = Failure.MAX_TTL_REACHED;
		}
		else if (code == 400 && lease != null && isBackendError(lower)) {
			// Vault knows the lease but could not run the role's statements (the database is down).
			failure = Failure.SERVER_ERROR;
		}
		else if (code == 400 && lease != null) {
			failure = Failure.LEASE_GONE;
		}
		else if (code == 403) {
			failure = Failure.PERMISSION_DENIED;
		}
		else if (code == 404) {
			failure = Failure.NOT_FOUND;
		}
		else if (code == 500 && !isFailoverGap(lower)) {
			failure = Failure.SERVER_ERROR;
		}
		else if (code == 429 || status.is5xxServerError()) {
			failure = Failure.UNAVAILABLE;
		}
		else {
			failure = Failure.REJECTED;
		}
		return new VaultRequestException(failure, path, code,
				"Vault answered " + code + " to " + path + (errors.isEmpty() ? "" : ": " + errors), cause);
	}

	// Vault wraps a failing secrets engine in a 400: "failed to renew entry: … failed to connect".
	private static boolean isBackendError(String errors) {
		return errors.contains("failed to renew entry") || errors.contains("failed to revoke entry");
	}

	// A standby without a leader answers 500 with these while a new active node is elected.
	private static boolean isFailoverGap(String errors) {
		return errors.contains("active cluster node not found") || errors.contains("node not active")
				|| errors.contains("no active node") || errors.contains("local node not active");
	}

	private static boolean hasCause(Throwable ex, Class<? extends Throwable> type) {
		return findCause(ex, type) != null;
	}

	private static <T extends Throwable> @Nullable T findCause(Throwable ex, Class<T> type) {
		for (Throwable cause = ex; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
		}
		return null;
	}

	private static String extractErrors(String body) {
		// Vault error bodies are {"errors":["..."]}: keep the messages as Vault wrote them, quotes and
		// all; anything else (an HTML page from a proxy) is cut short.
		String messages = VaultErrors.messages(body);
		if (!messages.isEmpty()) {
			return messages;
		}
		String flat = body.trim().replaceAll("\\s+", " ");
		return (flat.length() > 200) ? flat.substring(0, 200) + "…" : flat;
	}

	private static String sanitize(String message, @Nullable CredentialLease lease) {
		if (lease == null) {
			return message;
		}
		return message.replace(lease.leaseId(), lease.shortLeaseId());
	}

	private static boolean mentionsMaxTtl(@Nullable List<String> warnings) {
		if (warnings == null) {
			return false;
		}
		return warnings.stream().anyMatch((warning) -> warning.toLowerCase(Locale.ROOT).contains("max"));
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		String message = root.getMessage();
		return (message != null) ? root.getClass().getSimpleName() + ": " + message : root.getClass().getSimpleName();
	}

	private static String trimSlashes(String path) {
		String trimmed = path.trim();
		while (trimmed.startsWith("/")) {
			trimmed = trimmed.substring(1);
		}
		while (trimmed.endsWith("/")) {
			trimmed = trimmed.substring(0, trimmed.length() - 1);
		}
		return trimmed;
	}

}
