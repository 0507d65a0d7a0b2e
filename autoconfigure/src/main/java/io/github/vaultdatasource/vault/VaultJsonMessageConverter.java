package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.util.StreamUtils;
import org.springframework.vault.support.JacksonCompat;
import org.springframework.vault.support.VaultResponse;
import org.springframework.vault.support.VaultResponseSupport;

/**
 * The JSON converter of the library's Vault clients. What Vault's API and Spring Vault's login
 * methods exchange — request bodies made of maps, lists and plain values, answers read as a
 * {@code Map} or a {@link VaultResponse} — is read and written by {@link VaultJson}; anything else is
 * handed to Spring Vault's Jackson converter, created on first use. Spring Vault's own clients
 * create that converter, and so load Jackson (about 700 classes, a tenth of a small application's
 * startup), whether or not a request ever needs it.
 */
public final class VaultJsonMessageConverter implements HttpMessageConverter<Object> {

	private static final List<MediaType> MEDIA_TYPES = List.of(MediaType.APPLICATION_JSON,
			new MediaType("application", "*+json"));

	private volatile @Nullable HttpMessageConverter<Object> jackson;

	@Override
	public boolean canRead(Class<?> type, @Nullable MediaType mediaType) {
		return isJson(mediaType);
	}

	@Override
	public boolean canWrite(Class<?> type, @Nullable MediaType mediaType) {
		return mediaType == null || isJson(mediaType);
	}

	@Override
	public List<MediaType> getSupportedMediaTypes() {
		return MEDIA_TYPES;
	}

	@Override
	public Object read(Class<?> type, HttpInputMessage input) throws IOException {
		if (!isOwnAnswerType(type)) {
			return jackson().read(type, input);
		}
		String text;
		try (InputStream body = input.getBody()) {
			text = StreamUtils.copyToString(body, StandardCharsets.UTF_8);
		}
		Object value;
		try {
			value = VaultJson.parse(text);
		}
		catch (IllegalArgumentException ex) {
			throw new HttpMessageNotReadableException("Vault's answer is not JSON: " + ex.getMessage(), ex, input);
		}
		if (!(value instanceof Map<?, ?> map)) {
			throw new HttpMessageNotReadableException("Vault's answer is not a JSON object", input);
		}
		return VaultResponseSupport.class.isAssignableFrom(type) ? response(map) : map;
	}

	@Override
	public void write(Object value, @Nullable MediaType contentType, HttpOutputMessage output) throws IOException {
		if (!VaultJson.isWritable(value)) {
			jackson().write(value, contentType, output);
			return;
		}
		byte[] json;
		try {
			json = VaultJson.write(value).getBytes(StandardCharsets.UTF_8);
		}
		catch (IllegalArgumentException ex) {
			throw new HttpMessageNotWritableException("Cannot write the request to Vault: " + ex.getMessage(), ex);
		}
		output.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		output.getHeaders().setContentLength(json.length);
		output.getBody().write(json);
	}

	// Map, or the raw answer types of Spring Vault (VaultResponse is VaultResponseSupport<Map>).
	private static boolean isOwnAnswerType(Class<?> type) {
		return type == Map.class || type == LinkedHashMap.class || type == VaultResponse.class
				|| type == VaultResponseSupport.class;
	}

	// As Jackson binds it: a member that is absent keeps the field's default, one that is null sets null.
	@SuppressWarnings("unchecked")
	static VaultResponse response(Map<?, ?> answer) {
		VaultResponse response = new VaultResponse();
		if (answer.containsKey("auth")) {
			response.setAuth((Map<String, Object>) map(answer.get("auth")));
		}
		if (answer.containsKey("data")) {
			response.setData((Map<String, Object>) map(answer.get("data")));
		}
		if (answer.containsKey("metadata")) {
			response.setMetadata((Map<String, Object>) map(answer.get("metadata")));
		}
		if (answer.containsKey("wrap_info")) {
			Map<?, ?> wrapInfo = map(answer.get("wrap_info"));
			Map<String, String> strings = null;
			if (wrapInfo != null) {
				// Declared Map<String, String>: numbers such as the ttl as text, as Jackson binds them.
				strings = new LinkedHashMap<>();
				for (Map.Entry<?, ?> entry : wrapInfo.entrySet()) {
					strings.put(String.valueOf(entry.getKey()),
							(entry.getValue() != null) ? entry.getValue().toString() : null);
				}
			}
			response.setWrapInfo(strings);
		}
		if (answer.get("lease_duration") instanceof Number duration) {
			response.setLeaseDuration(duration.longValue());
		}
		if (answer.containsKey("lease_id")) {
			response.setLeaseId(text(answer.get("lease_id")));
		}
		if (answer.containsKey("request_id")) {
			response.setRequestId(text(answer.get("request_id")));
		}
		if (answer.get("renewable") instanceof Boolean renewable) {
			response.setRenewable(renewable);
		}
		if (answer.containsKey("warnings")) {
			response.setWarnings((answer.get("warnings") instanceof List<?> warnings)
					? warnings.stream().map(String::valueOf).toList() : null);
		}
		return response;
	}

	private static @Nullable String text(@Nullable Object value) {
		return (value != null) ? value.toString() : null;
	}

	private static @Nullable Map<?, ?> map(@Nullable Object value) {
		return (value instanceof Map<?, ?> map) ? map : null;
	}

	private static boolean isJson(@Nullable MediaType mediaType) {
		return mediaType == null || MEDIA_TYPES.stream().anyMatch((json) -> json.includes(mediaType));
	}

	private HttpMessageConverter<Object> jackson() {
		HttpMessageConverter<Object> converter = this.jackson;
		if (converter == null) {
			converter = JacksonCompat.instance().createHttpMessageConverter();
			this.jackson = converter;
		}
		return converter;
	}

}
