package io.github.vaultdatasource.vault;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * The addresses of the Vault or OpenBao nodes the application may use, and which of them answered
 * last: requests start there, so a fleet stays on a working node instead of probing a dead one on
 * every call. Shared by every request factory of one application context.
 */
public final class VaultNodes {

	private final List<URI> addresses;

	private final AtomicInteger preferred = new AtomicInteger();

	private volatile @Nullable URI lastAnswered;

	private VaultNodes(List<URI> addresses) {
		this.addresses = List.copyOf(addresses);
	}

	/**
	 * Create the nodes from their addresses, in the order they are tried first.
	 * @param addresses scheme, host and port of each node, at least one
	 * @return the nodes
	 */
	public static VaultNodes of(List<URI> addresses) {
		Assert.notEmpty(addresses, "At least one Vault address is needed");
		return new VaultNodes(addresses);
	}

	/**
	 * Return every address, in configuration order.
	 * @return the addresses
	 */
	public List<URI> addresses() {
		return this.addresses;
	}

	/**
	 * Return the addresses in the order a new request tries them: the one that answered last
	 * first, then the others in configuration order after it.
	 * @return the addresses to try
	 */
	List<URI> tryOrder() {
		int start = this.preferred.get();
		List<URI> order = new ArrayList<>(this.addresses.size());
		for (int i = 0; i < this.addresses.size(); i++) {
			order.add(this.addresses.get((start + i) % this.addresses.size()));
		}
		return order;
	}

	void answered(URI node) {
		int index = this.addresses.indexOf(node);
		if (index >= 0) {
			this.preferred.set(index);
		}
		this.lastAnswered = node;
	}

	/**
	 * Return the node that answered the latest request.
	 * @return the node, {@code null} before any answer
	 */
	public @Nullable URI lastAnswered() {
		return this.lastAnswered;
	}

	@Override
	public String toString() {
		return this.addresses.toString();
	}

}
