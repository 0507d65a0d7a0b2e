package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;

/**
 * The TLS socket factory of an {@link SslBundle}: its trust material, its key material (the
 * client certificate for mutual TLS), and its enabled protocols and cipher suites when set.
 * Hostname verification stays with {@code HttpsURLConnection}, which always does it.
 */
final class VaultSslSocketFactory extends SSLSocketFactory {

	private final SSLSocketFactory delegate;

	private final SslOptions options;

	private VaultSslSocketFactory(SSLSocketFactory delegate, SslOptions options) {
		this.delegate = delegate;
		this.options = options;
	}

	static SSLSocketFactory of(SslBundle bundle) {
		SSLSocketFactory factory = bundle.createSslContext().getSocketFactory();
		SslOptions options = bundle.getOptions();
		return options.isSpecified() ? new VaultSslSocketFactory(factory, options) : factory;
	}

	@Override
	public String[] getDefaultCipherSuites() {
		String[] ciphers = this.options.getCiphers();
		return (ciphers != null) ? ciphers : this.delegate.getDefaultCipherSuites();
	}

	@Override
	public String[] getSupportedCipherSuites() {
		return this.delegate.getSupportedCipherSuites();
	}

	@Override
	public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
		return configure(this.delegate.createSocket(socket, host, port, autoClose));
	}

	@Override
	public Socket createSocket() throws IOException {
		return configure(this.delegate.createSocket());
	}

	@Override
	public Socket createSocket(String host, int port) throws IOException {
		return configure(this.delegate.createSocket(host, port));
	}

	@Override
	public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
		return configure(this.delegate.createSocket(host, port, localHost, localPort));
	}

	@Override
	public Socket createSocket(InetAddress host, int port) throws IOException {
		return configure(this.delegate.createSocket(host, port));
	}

	@Override
	public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
			throws IOException {
		return configure(this.delegate.createSocket(address, port, localAddress, localPort));
	}

	private Socket configure(Socket socket) {
		if (socket instanceof SSLSocket ssl) {
			if (this.options.getEnabledProtocols() != null) {
				ssl.setEnabledProtocols(this.options.getEnabledProtocols());
			}
			if (this.options.getCiphers() != null) {
				ssl.setEnabledCipherSuites(this.options.getCiphers());
			}
		}
		return socket;
	}

}
