package io.github.vaultdatasource.sample;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;

import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Reads and writes the items table, and says which database user served the request.
 */
@RestController
@RequestMapping("/api")
class ItemController {

	private final JdbcTemplate jdbc;

	private final ManagedLeases leases;

	ItemController(JdbcTemplate jdbc, ManagedLeases leases) {
		this.jdbc = jdbc;
		this.leases = leases;
	}

	@GetMapping("/items")
	List<Item> items() {
		return this.jdbc.query("SELECT id, name, created_by FROM items ORDER BY id DESC LIMIT 100",
				(rs, row) -> new Item(rs.getLong("id"), rs.getString("name"), rs.getString("created_by")));
	}

	@PostMapping("/items")
	@ResponseStatus(HttpStatus.CREATED)
	Item create(@RequestBody NewItem item) {
		return this.jdbc.queryForObject(
				"INSERT INTO items (name, created_by) VALUES (?, session_user) RETURNING id, name, created_by",
				(rs, row) -> new Item(rs.getLong("id"), rs.getString("name"), rs.getString("created_by")), item.name());
	}

	/**
	 * The database user this request ran as (the Vault-issued login, {@code session_user}; the
	 * session acts as the owner role, {@code current_user}) and the time left on its lease.
	 */
	@GetMapping("/whoami")
	WhoAmI whoami() {
		Map<String, Object> row = this.jdbc.queryForMap("SELECT session_user AS login, current_user AS acting_as");
		LeaseStatus lease = this.leases.get("dataSource").map((lifecycle) -> lifecycle.status()).orElse(null);
		Duration left = (lease != null) ? lease.timeToExpiry() : null;
		return new WhoAmI((String) row.get("login"), (String) row.get("acting_as"),
				(lease != null) ? lease.state().name() : null, (left != null) ? left.toMillis() / 1000.0 : null);
	}

	record Item(long id, String name, String createdBy) {
	}

	record NewItem(String name) {
	}

	record WhoAmI(String databaseUser, String actingAs, String leaseState, Double leaseTimeToExpirySeconds) {
	}

}
