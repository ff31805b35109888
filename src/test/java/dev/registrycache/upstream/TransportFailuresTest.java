package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.security.cert.CertificateException;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class TransportFailuresTest {
  private static final URI TARGET = URI.create("https://cdn.example:8443/blob?X-Amz-Signature=abc");
  private static final Proxy PROXY = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("proxy.corp", 3128));

  private static String message(Throwable t, Proxy proxy) {
    Throwable d = TransportFailures.describe("quay.io", TARGET, proxy, new CompletionException(t));
    assertTrue(d instanceof UpstreamException, String.valueOf(d));
    String m = d.getMessage();
    assertFalse(m.contains("Exception") || m.contains("sun.") || m.contains("abc"), "for people: " + m);
    return m;
  }

  private static SSLHandshakeException handshake(String message, Throwable cause) {
    SSLHandshakeException e = new SSLHandshakeException(message);
    e.initCause(cause);
    return e;
  }

  @Test
  void tlsFailuresSayWhatIsWrongWithTheCertificate() {
    SSLHandshakeException pkix = handshake("PKIX path building failed: sun.security.provider.certpath."
        + "SunCertPathBuilderException: unable to find valid certification path to requested target",
        new CertificateException("sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
            + "certification path to requested target"));
    assertEquals("quay.io: TLS with cdn.example failed: its certificate is not trusted (unable to find valid "
        + "certification path to requested target); for a private CA set caFile", message(pkix, null));
    SSLHandshakeException name = handshake("No subject alternative DNS name matching cdn.example found.",
        new CertificateException("No subject alternative DNS name matching cdn.example found."));
    assertEquals("quay.io: TLS with cdn.example failed: its certificate is not valid for cdn.example "
        + "(No subject alternative DNS name matching cdn.example found.)", message(name, PROXY));
    assertEquals("quay.io: TLS with cdn.example failed: Received fatal alert: protocol_version",
        message(new SSLHandshakeException("Received fatal alert: protocol_version"), null));
    assertTrue(TransportFailures.isTls(new UpstreamException(0, "x", pkix)));
    assertFalse(TransportFailures.isTls(new UpstreamException(0, "x", new ConnectException())));
  }

  @Test
  void connectionFailuresNameTheProxyWhenThereIsOne() {
    assertEquals("quay.io: cannot connect to https://cdn.example:8443", message(new ConnectException(), null));
    assertEquals("quay.io: cannot connect to the proxy proxy.corp:3128 (for https://cdn.example:8443)",
        message(new ConnectException(), PROXY));
    assertEquals("quay.io: cannot connect to https://cdn.example:8443", message(new ConnectException(), Proxy.NO_PROXY));
    assertEquals("quay.io: unknown host cdn.example", message(new IOException(new UnknownHostException("cdn.example")), null));
    assertEquals("quay.io: unknown proxy host proxy.corp:3128", message(new UnknownHostException("proxy.corp"), PROXY));
    assertEquals("quay.io: connecting to cdn.example timed out", message(new HttpConnectTimeoutException("x"), null));
    assertEquals("quay.io: connecting to the proxy proxy.corp:3128 timed out",
        message(new HttpConnectTimeoutException("x"), PROXY));
    assertEquals("quay.io: cdn.example did not answer in time through the proxy proxy.corp:3128",
        message(new HttpTimeoutException("request timed out"), PROXY));
    assertEquals("quay.io: the proxy proxy.corp:3128 did not open a tunnel to cdn.example (it answered 403)",
        message(new ProxyTunnelRefused(403), PROXY));
    assertEquals("quay.io: the proxy proxy.corp:3128 asks for credentials (407): none configured, or refused "
        + "(upstreamProxy username and passwordFile)",
        message(new ProxyTunnelRefused(407), PROXY));
    assertEquals("quay.io: connection to cdn.example failed: EOF reached while reading",
        message(new IOException("java.io.EOFException: EOF reached while reading"), null));
  }

  @Test
  void failuresThatAreNotAboutTheConnectionPassThrough() {
    CompletionException other = new CompletionException(new IllegalStateException("x"));
    assertSame(other, TransportFailures.describe("quay.io", TARGET, null, other));
    CompletionException already = new CompletionException(new UpstreamException(0, "y", new IOException("z")));
    assertSame(already, TransportFailures.describe("quay.io", TARGET, null, already));
  }
}
