package io.github.vaultdatasource.vault;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;
import org.springframework.mock.http.MockHttpInputMessage;
import org.springframework.mock.http.MockHttpOutputMessage;
import org.springframework.vault.support.VaultResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link VaultJson} and {@link VaultJsonMessageConverter}: Vault's answers must read as
 * Jackson reads them, to the types of the values, and a malformed body must fail without showing
 * its content.
 */
class VaultJsonTests {

	private static final JsonMapper jackson = JsonMapper.builder().build();

	// Answers as Vault and OpenBao write them: a login, credentials, a renewal with a warning, an
	// error, health, capabilities; plus escapes, unicode, large and fractional numbers.
	private static final List<String> ANSWERS = List.of("""
			{"request_id":"9c1e","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,
			 "warnings":null,"auth":{"client_token":"s.Zq9x7Rv2","accessor":"a1","policies":["default","app"],
			 "token_policies":["default","app"],"metadata":{"role_name":"app"},"lease_duration":2764800,
			 "renewable":true,"entity_id":"e-1","token_type":"service","orphan":true,"num_uses":0}}""", """
			{"request_id":"1","lease_id":"database/creds/app/Xq7Rz2Kp9Lm4","renewable":true,"lease_duration":3600,
			 "data":{"username":"v-token-app-1","password":"A1a-\\"q\\\\/\\u00e9\\ud83d\\ude00\\n\\t"},"warnings":null}""", """
			{"lease_id":"database/creds/app/X","renewable":true,"lease_duration":120,
			 "warnings":["TTL of \\"1h\\" exceeded the effective max_ttl of \\"2m\\"; TTL value is capped accordingly"]}""",
			"{\"errors\":[\"permission denied\"]}", """
			{"initialized":true,"sealed":false,"standby":false,"performance_standby":false,
			 "replication_performance_mode":"disabled","server_time_utc":1796006399,"version":"2.4.1",
			 "cluster_name":"vault-cluster-1","cluster_id":"c-1","enterprise":false,"echo_duration_ms":0,
			 "clock_skew_ms":-1,"replication_primary_canary_age_ms":0}""", """
			{"data":{"database/creds/app":["read"],"sys/leases/renew":["update"],"sys/leases/revoke":["deny"]}}""",
			"{\"big\":9223372036854775807,\"bigger\":92233720368547758070,\"int\":-2147483648,\"long\":2147483648,"
					+ "\"fraction\":-0.25,\"exponent\":1.5E3,\"small\":1e-7,\"zero\":0,\"empty\":{},\"none\":[],"
					+ "\"nested\":[[1,[2,{\"a\":[true,false,null]}]]]}",
			" \n\t{ \"spaced\" : [ 1 , 2 ] } \r\n");

	@Test
	void readsVaultsAnswersAsJacksonDoesToTheTypesOfTheValues() {
		for (String answer : ANSWERS) {
			Object ours = VaultJson.parse(answer);
			Object theirs = jackson.readValue(answer, Map.class);
			assertThat(ours).as(answer).isEqualTo(theirs);
			assertTypes(ours, theirs);
		}
	}

	@Test
	void writesWhatJacksonReadsBackUnchanged() {
		for (String answer : ANSWERS) {
			Object value = VaultJson.parse(answer);
			assertThat(jackson.readValue(VaultJson.write(value), Map.class)).as(answer).isEqualTo(value);
		}
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("lease_id", "database/creds/app/X");
		body.put("increment", 3600L);
		body.put("sync", true);
		body.put("paths", List.of("a", "b"));
		body.put("control", "\u0001\u001f");
		assertThat(VaultJson.write(body)).isEqualTo(
				"{\"lease_id\":\"database/creds/app/X\",\"increment\":3600,\"sync\":true,\"paths\":[\"a\",\"b\"],"
						+ "\"control\":\"\\u0001\\u001f\"}");
		assertThat(jackson.readValue(VaultJson.write(body), Map.class)).isEqualTo(Map.of("lease_id",
				"database/creds/app/X", "increment", 3600, "sync", true, "paths", List.of("a", "b"), "control",
				"\u0001\u001f"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":tru}", "{\"p\":\"secret-A1a",
			"{\"p\":\"bad\\x\"}", "{\"p\":\"\\u12\"}", "01", "-", "1.", "1e", "{\"a\":1}x", "{a:1}", "'a'",
			"{\"p\":\"line\nbreak\"}", "NaN", "\u0661", "1\u0662", "1.\u0663", "1e\u0664" })
	void rejectsWhatIsNotJsonWithoutShowingTheText(String text) {
		assertThatIllegalArgumentException().isThrownBy(() -> VaultJson.parse(text))
			.satisfies((ex) -> assertThat(ex.getMessage()).startsWith("Not valid JSON at character ")
				.doesNotContain("secret")
				.doesNotContain("A1a"));
	}

	@Test
	void rejectsNestingDeeperThanAnyVaultAnswer() {
		String deep = "[".repeat(10_000) + "]".repeat(10_000);
		assertThatIllegalArgumentException().isThrownBy(() -> VaultJson.parse(deep));
	}

	@Test
	void refusesToWriteWhatIsNotPlainData() {
		assertThat(VaultJson.isWritable(Map.of("a", List.of(1, "b", true)))).isTrue();
		assertThat(VaultJson.isWritable(Map.of("a", new Object()))).isFalse();
		assertThatIllegalArgumentException().isThrownBy(() -> VaultJson.write(Double.NaN));
	}

	@Test
	void readsAVaultResponseAsJacksonBindsIt() throws Exception {
		VaultJsonMessageConverter converter = new VaultJsonMessageConverter();
		for (String answer : ANSWERS) {
			VaultResponse ours = (VaultResponse) converter.read(VaultResponse.class, input(answer));
			VaultResponse theirs = jackson.readValue(answer, VaultResponse.class);
			assertThat(ours.getAuth()).as(answer).isEqualTo(theirs.getAuth());
			assertThat(ours.getData()).as(answer).isEqualTo(theirs.getData());
			assertThat(ours.getLeaseId()).as(answer).isEqualTo(theirs.getLeaseId());
			assertThat(ours.getLeaseDuration()).as(answer).isEqualTo(theirs.getLeaseDuration());
			assertThat(ours.isRenewable()).as(answer).isEqualTo(theirs.isRenewable());
			assertThat(ours.getRequestId()).as(answer).isEqualTo(theirs.getRequestId());
			assertThat(ours.getWarnings()).as(answer).isEqualTo(theirs.getWarnings());
		}
		String wrapped = "{\"wrap_info\":{\"token\":\"hvs.x\",\"ttl\":300,\"creation_path\":\"auth/approle/x\"}}";
		assertThat(((VaultResponse) converter.read(VaultResponse.class, input(wrapped))).getWrapInfo())
			.isEqualTo(jackson.readValue(wrapped, VaultResponse.class).getWrapInfo());
	}

	@Test
	void handsOtherTypesToJackson() throws Exception {
		VaultJsonMessageConverter converter = new VaultJsonMessageConverter();
		Object read = converter.read(Probe.class, input("{\"name\":\"n\",\"count\":2}"));
		assertThat(read).isEqualTo(new Probe("n", 2));
		MockHttpOutputMessage output = new MockHttpOutputMessage();
		converter.write(new Probe("m", 3), MediaType.APPLICATION_JSON, output);
		assertThat(jackson.readValue(output.getBodyAsString(StandardCharsets.UTF_8), Map.class))
			.isEqualTo(Map.of("name", "m", "count", 3));
		MockHttpOutputMessage plain = new MockHttpOutputMessage();
		converter.write(Map.of("lease_id", "x"), null, plain);
		assertThat(plain.getBodyAsString(StandardCharsets.UTF_8)).isEqualTo("{\"lease_id\":\"x\"}");
		assertThat(plain.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
		assertThat(converter.canRead(Map.class, MediaType.TEXT_HTML)).isFalse();
		assertThat(converter.canRead(Map.class, MediaType.parseMediaType("application/problem+json"))).isTrue();
	}

	@Test
	void aBigNumberStaysExact() {
		assertThat(((Map<?, ?>) VaultJson.parse("{\"n\":123456789012345678901234567890}")).get("n"))
			.isEqualTo(new BigInteger("123456789012345678901234567890"));
	}

	private static MockHttpInputMessage input(String body) {
		MockHttpInputMessage input = new MockHttpInputMessage(body.getBytes(StandardCharsets.UTF_8));
		input.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		return input;
	}

	private static void assertTypes(Object ours, Object theirs) {
		if (theirs == null) {
			assertThat(ours).isNull();
			return;
		}
		assertThat(ours).isInstanceOf(theirs.getClass());
		if (theirs instanceof Map<?, ?> map) {
			map.forEach((key, value) -> assertTypes(((Map<?, ?>) ours).get(key), value));
		}
		else if (theirs instanceof List<?> list) {
			for (int i = 0; i < list.size(); i++) {
				assertTypes(((List<?>) ours).get(i), list.get(i));
			}
		}
	}

	record Probe(String name, int count) {

	}

}
