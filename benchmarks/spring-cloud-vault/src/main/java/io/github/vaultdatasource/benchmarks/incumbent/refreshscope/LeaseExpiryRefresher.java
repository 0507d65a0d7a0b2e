package io.github.vaultdatasource.benchmarks.incumbent.refreshscope;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.context.refresh.ContextRefresher;
import org.springframework.stereotype.Component;
import org.springframework.vault.core.lease.SecretLeaseContainer;
import org.springframework.vault.core.lease.event.SecretLeaseExpiredEvent;

/**
 * Refreshes the application context when Spring Vault reports that the database lease
 * ({@code <backend>/creds/<role>}) expired, as the tutorial's {@code VaultRefresher} does.
 */
@Component
class LeaseExpiryRefresher {

	private static final Log logger = LogFactory.getLog(LeaseExpiryRefresher.class);

	LeaseExpiryRefresher(@Value("${spring.cloud.vault.database.role}") String role,
			@Value("${spring.cloud.vault.database.backend}") String backend, SecretLeaseContainer leaseContainer,
			ContextRefresher contextRefresher) {
		String path = backend + "/creds/" + role;
		leaseContainer.addLeaseListener((event) -> {
			if (path.equals(event.getSource().getPath()) && event instanceof SecretLeaseExpiredEvent) {
				contextRefresher.refresh();
				logger.info("refresh database credentials");
			}
		});
	}

}
