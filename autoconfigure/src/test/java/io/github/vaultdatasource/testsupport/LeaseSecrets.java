package io.github.vaultdatasource.testsupport;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.lease.LeaseLifecycle;

import org.springframework.context.ApplicationListener;

/**
 * Records every password and full lease id the managed data sources used, so a test can search
 * logs and responses for them. Register it as a bean; it learns the leases from their events.
 */
public class LeaseSecrets implements ApplicationListener<VaultDataSourceEvent> {

	private final Set<LeaseLifecycle> lifecycles = ConcurrentHashMap.newKeySet();

	private final Set<String> secrets = new ConcurrentSkipListSet<>();

	@Override
	public void onApplicationEvent(VaultDataSourceEvent event) {
		if (event.getSource() instanceof LeaseLifecycle lifecycle) {
			this.lifecycles.add(lifecycle);
			record(lifecycle);
		}
	}

	/**
	 * Return the secrets seen so far: passwords and full lease ids.
	 * @return the secrets
	 */
	public List<String> all() {
		this.lifecycles.forEach(this::record);
		return List.copyOf(this.secrets);
	}

	private void record(LeaseLifecycle lifecycle) {
		CredentialLease lease = lifecycle.currentLease();
		if (lease != null) {
			this.secrets.add(lease.credentials().password());
			this.secrets.add(lease.leaseId());
		}
	}

}
