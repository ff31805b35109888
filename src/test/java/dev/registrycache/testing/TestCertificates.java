package dev.registrycache.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A private CA and a server certificate it signed, for {@code 127.0.0.1}, {@code registry.test},
 * {@code auth.test} and {@code storage.test}, made with the JDK's {@code keytool}: what a
 * company's internal registry (and its token service and storage) presents. {@link #caPem()} is the bundle a {@code caFile} names.
 */
public final class TestCertificates {
  private static final String PASS = "changeit";
  private static final long KEYTOOL_SECONDS = 60;

  private final Path caPem;
  private final SSLContext server;

  private TestCertificates(Path caPem, SSLContext server) {
    this.caPem = caPem;
    this.server = server;
  }

  private static TestCertificates shared;

  /** One set for the whole test run, in a directory removed when the JVM exits. */
  public static synchronized TestCertificates shared() throws IOException, InterruptedException {
    if (shared == null) {
      Path dir = Files.createTempDirectory("registry-cache-test-certs");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (Stream<Path> files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
          // a temp dir left behind
        }
      }));
      shared = create(dir);
    }
    return shared;
  }

  /** Makes a CA and a server certificate in {@code dir}. */
  public static TestCertificates create(Path dir) throws IOException, InterruptedException {
    Path ca = dir.resolve("ca.p12");
    Path srv = dir.resolve("server.p12");
    Path csr = dir.resolve("server.csr");
    Path crt = dir.resolve("server.crt");
    keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=registry-cache test CA", "-ext", "bc:c", "-validity", "2",
        "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", PASS);
    keytool(dir, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=registry.test", "-validity", "2",
        "-keystore", srv.toString(), "-storetype", "PKCS12", "-storepass", PASS);
    keytool(dir, "-certreq", "-alias", "server", "-keystore", srv.toString(), "-storepass", PASS,
        "-file", csr.toString());
    keytool(dir, "-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASS,
        "-infile", csr.toString(), "-outfile", crt.toString(), "-rfc", "-validity", "2",
        "-ext", "san=ip:127.0.0.1,dns:registry.test,dns:auth.test,dns:storage.test", "-ext", "eku=serverAuth");
    try {
      KeyStore caStore = load(ca);
      Certificate caCert = caStore.getCertificate("ca");
      Path pem = dir.resolve("ca.pem");
      Files.writeString(pem, "# the test CA, as a company's bundle would list it\n"
          + "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(caCert.getEncoded())
          + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);

      KeyStore serverStore = load(srv);
      PrivateKey key = (PrivateKey) serverStore.getKey("server", PASS.toCharArray());
      List<Certificate> chain = new ArrayList<>();
      try (InputStream in = Files.newInputStream(crt)) {
        chain.add(CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      chain.add(caCert);
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", key, PASS.toCharArray(), chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASS.toCharArray());
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return new TestCertificates(pem, ctx);
    } catch (GeneralSecurityException e) {
      throw new IOException("test certificates: " + e.getMessage(), e);
    }
  }

  /** The CA as a PEM file (with a comment line before it, as real bundles have). */
  public Path caPem() {
    return caPem;
  }

  /** For an https server presenting the signed certificate. */
  public SSLContext serverContext() {
    return server;
  }

  private static KeyStore load(Path p12) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, PASS.toCharArray());
    }
    return ks;
  }

  private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")); // starts twice as fast
    cmd.addAll(List.of(args));
    Path log = dir.resolve("keytool.log");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!p.waitFor(KEYTOOL_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("keytool " + args[0] + " did not finish in " + KEYTOOL_SECONDS + " s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + Files.readString(log));
    }
  }
}
