package io.github.vaultdatasource.vault;

import java.net.URI;
import java.time.Clock;
import java.time.ZoneOffset;

import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.vault.client.RestClientBuilder;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.core.VaultTemplate;
import org.springframework.vault.support.VaultToken;

/**
 * The tests of {@link VaultDatabaseSecretsClientTests} through Spring Vault's {@link VaultTemplate},
 * for an application that builds the client on a template of its own: the same answers must come
 * out as the same failures.
 */
class VaultDatabaseSecretsClientOnVaultTemplateTests extends VaultDatabaseSecretsClientTests {

	@Override
	VaultDatabaseSecretsClient client(URI vault) {
		RestClientBuilder builder = RestClientBuilder.builder()
			.endpoint(VaultEndpoint.from(vault))
			.requestFactory(new SimpleClientHttpRequestFactory());
		VaultTemplate template = new VaultTemplate(builder, () -> VaultToken.of(TOKEN));
		return new VaultDatabaseSecretsClient(template, "/database/", "app", Clock.fixed(NOW, ZoneOffset.UTC));
	}

}
