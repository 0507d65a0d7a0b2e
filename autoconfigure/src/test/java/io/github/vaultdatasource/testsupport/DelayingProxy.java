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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on loopback that passes requests straight through and delays every byte of the
 * answers by a fixed time, as a slow Vault (slow storage, a congested network) does: what a client
 * sends arrives at once, what comes back arrives late. The delay can be changed while it runs.
 */
public final class DelayingProxy implements AutoCloseable {

	private final ServerSocket server;

	private final InetSocketAddress upstream;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private volatile Duration delay;

	private volatile boolean closed;

	/**
	 * Start a proxy to {@code upstreamHost:upstreamPort} on a free loopback port.
	 * @param upstreamHost the host to forward to
	 * @param upstreamPort the port to forward to
	 * @param delay how late answers arrive
	 * @throws IOException when no port is free
	 */
	public DelayingProxy(String upstreamHost, int upstreamPort, Duration delay) throws IOException {
		this.upstream = new InetSocketAddress(upstreamHost, upstreamPort);
		this.delay = delay;
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		Thread acceptor = new Thread(this::accept, "delaying-proxy-accept");
		acceptor.setDaemon(true);
		acceptor.start();
	}

	/**
	 * Return the proxy's address, to use as {@code vault.uri}.
	 * @return the address
	 */
	public String address() {
		return "http://127.0.0.1:" + this.server.getLocalPort();
	}

	/**
	 * Change how late answers arrive from now on.
	 * @param delay the delay
	 */
	public void delay(Duration delay) {
		this.delay = delay;
	}

	private void accept() {
		while (!this.closed) {
			try {
				Socket client = this.server.accept();
				Socket server = new Socket();
				server.connect(this.upstream, 5000);
				this.sockets.add(client);
				this.sockets.add(server);
				pump(client, server, false);
				pump(server, client, true);
			}
			catch (IOException ex) {
				if (this.closed) {
					return;
				}
			}
		}
	}

	private void pump(Socket from, Socket to, boolean delayed) {
		if (!delayed) {
			start(() -> copy(from, to), "delaying-proxy-request");
			return;
		}
		// Read as bytes come and hand them on at readTime + delay, in order.
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
		}, "delaying-proxy-read");
		start(() -> {
			try {
				OutputStream out = to.getOutputStream();
				while (true) {
					Chunk chunk = queue.take();
					if (chunk.bytes == null) {
						break;
					}
					out.write(chunk.bytes);
					out.flush();
				}
			}
			catch (IOException | InterruptedException ex) {
				// Connection closed.
			}
			closeQuietly(to);
			closeQuietly(from);
		}, "delaying-proxy-write");
	}

	private void copy(Socket from, Socket to) {
		try (InputStream in = from.getInputStream()) {
			OutputStream out = to.getOutputStream();
			byte[] buffer = new byte[16384];
			int read;
			while ((read = in.read(buffer)) != -1) {
				out.write(buffer, 0, read);
				out.flush();
			}
			to.shutdownOutput();
		}
		catch (IOException ex) {
			closeQuietly(to);
		}
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

	@Override
	public void close() throws IOException {
		this.closed = true;
		this.server.close();
		this.sockets.forEach(DelayingProxy::closeQuietly);
	}

	private static final class Chunk implements Delayed {

		private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

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
