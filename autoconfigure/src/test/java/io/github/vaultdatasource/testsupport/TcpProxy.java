package io.github.vaultdatasource.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback in front of a real server, for faults the server itself cannot be made
 * to show while other tests use it: the test can cut the proxy off and connect it again (the
 * server looks unreachable), and delay every byte of the answers by a time it can change while the
 * proxy runs, as a slow Vault (slow storage, a congested network) does: what a client sends
 * arrives at once, what comes back arrives late.
 */
public final class TcpProxy implements AutoCloseable {

	private final InetSocketAddress target;

	private final int port;

	private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

	private volatile ServerSocket listener;

	private volatile Duration delay = Duration.ZERO;

	private TcpProxy(InetSocketAddress target, int port) {
		this.target = target;
		this.port = port;
	}

	/**
	 * Start a proxy to a port on 127.0.0.1.
	 * @param targetPort the server's port
	 * @return the running proxy
	 * @throws IOException when it cannot listen
	 */
	public static TcpProxy start(int targetPort) throws IOException {
		return start(InetAddress.getLoopbackAddress().getHostAddress(), targetPort);
	}

	/**
	 * Start a proxy to a server, on a free loopback port.
	 * @param targetHost the server's host
	 * @param targetPort the server's port
	 * @return the running proxy
	 * @throws IOException when it cannot listen
	 */
	public static TcpProxy start(String targetHost, int targetPort) throws IOException {
		int port;
		try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			port = probe.getLocalPort();
		}
		TcpProxy proxy = new TcpProxy(new InetSocketAddress(targetHost, targetPort), port);
		proxy.connect();
		return proxy;
	}

	/**
	 * Return the port the proxy listens on.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Return the proxy's address as an HTTP URL, to use as {@code vault.uri}.
	 * @return the address
	 */
	public String address() {
		return "http://127.0.0.1:" + this.port;
	}

	/**
	 * Make answers arrive this late from now on ({@link Duration#ZERO} for at once).
	 * @param delay the delay
	 * @return this proxy
	 */
	public TcpProxy delay(Duration delay) {
		this.delay = delay;
		return this;
	}

	/**
	 * Listen again after {@link #cut()}.
	 * @throws IOException when the port cannot be bound
	 */
	public synchronized void connect() throws IOException {
		ServerSocket socket = new ServerSocket();
		socket.setReuseAddress(true);
		socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port));
		this.listener = socket;
		start(() -> accept(socket), "tcp-proxy-" + this.port);
	}

	/**
	 * Stop listening and close every open connection: new connections are refused.
	 */
	public synchronized void cut() {
		try {
			this.listener.close();
		}
		catch (IOException ex) {
			// closing
		}
		this.sockets.forEach(TcpProxy::closeQuietly);
		this.sockets.clear();
	}

	@Override
	public void close() {
		cut();
	}

	private void accept(ServerSocket socket) {
		while (!socket.isClosed()) {
			Socket client;
			try {
				client = socket.accept();
			}
			catch (IOException ex) {
				// The listener closed.
				continue;
			}
			Socket server = new Socket();
			if (!track(socket, client, server)) {
				// Cut while this connection was being accepted.
				closeQuietly(client);
				return;
			}
			try {
				server.connect(this.target, 5000);
			}
			catch (IOException ex) {
				// The target refused: the client sees its connection end.
				closeQuietly(client);
				continue;
			}
			start(() -> forward(client, server), "tcp-proxy-request");
			answer(server, client);
		}
	}

	// With cut(): a connection is either closed by the cut or refused after it, never left open.
	private synchronized boolean track(ServerSocket listener, Socket client, Socket server) {
		if (listener.isClosed()) {
			return false;
		}
		this.sockets.add(client);
		this.sockets.add(server);
		return true;
	}

	private void forward(Socket from, Socket to) {
		try (InputStream in = from.getInputStream()) {
			in.transferTo(to.getOutputStream());
			to.shutdownOutput();
		}
		catch (IOException ex) {
			closeQuietly(to);
		}
	}

	// Read the answer as its bytes come and hand them on at the time read plus the delay, in order.
	private void answer(Socket from, Socket to) {
		DelayQueue<Chunk> queue = new DelayQueue<>();
		start(() -> {
			try (InputStream in = from.getInputStream()) {
				byte[] buffer = new byte[16384];
				int read;
				long due = 0;
				while ((read = in.read(buffer)) != -1) {
					// Never earlier than the chunk before: a shorter delay must not reorder bytes.
					due = Math.max(due, System.nanoTime() + this.delay.toNanos());
					queue.put(new Chunk(Arrays.copyOf(buffer, read), due));
				}
			}
			catch (IOException ex) {
				// Connection closed.
			}
			queue.put(new Chunk(null, System.nanoTime() + this.delay.toNanos() + 1));
		}, "tcp-proxy-answer-read");
		start(() -> {
			try {
				OutputStream out = to.getOutputStream();
				for (Chunk chunk = queue.take(); chunk.bytes != null; chunk = queue.take()) {
					out.write(chunk.bytes);
					out.flush();
				}
			}
			catch (IOException | InterruptedException ex) {
				// Connection closed.
			}
			closeQuietly(to);
			closeQuietly(from);
		}, "tcp-proxy-answer-write");
	}

	private static void start(Runnable runnable, String name) {
		Thread thread = new Thread(runnable, name);
		thread.setDaemon(true);
		thread.start();
	}

	private static void closeQuietly(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// Closing anyway.
		}
	}

	private static final class Chunk implements Delayed {

		private static final AtomicLong SEQUENCE = new AtomicLong();

		private final byte[] bytes;

		private final long dueNanos;

		private final long sequence = SEQUENCE.incrementAndGet();

		Chunk(byte[] bytes, long dueNanos) {
			this.bytes = bytes;
			this.dueNanos = dueNanos;
		}

		@Override
		public long getDelay(TimeUnit unit) {
			return unit.convert(this.dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
		}

		@Override
		public int compareTo(Delayed other) {
			Chunk chunk = (Chunk) other;
			int byDue = Long.compare(this.dueNanos, chunk.dueNanos);
			return (byDue != 0) ? byDue : Long.compare(this.sequence, chunk.sequence);
		}

	}

}
