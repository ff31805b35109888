package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AuthChallengeTest {
  @Test
  void dockerHubBearer() {
    AuthChallenge c = AuthChallenge.parse(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull\"");
    assertTrue(c.isBearer());
    assertEquals("https://auth.docker.io/token", c.param("realm"));
    assertEquals("registry.docker.io", c.param("service"));
    assertEquals("repository:library/nginx:pull", c.param("scope"));
  }

  @Test
  void unquotedValuesSpacesAndCase() {
    AuthChallenge c = AuthChallenge.parse("bearer  realm=http://t/x , service=svc");
    assertTrue(c.isBearer());
    assertEquals("http://t/x", c.param("realm"));
    assertEquals("svc", c.param("service"));
  }

  @Test
  void escapedQuotesAndCommasInsideQuotes() {
    AuthChallenge c = AuthChallenge.parse("Bearer realm=\"a\\\"b\",scope=\"repository:x:pull,push\"");
    assertEquals("a\"b", c.param("realm"));
    assertEquals("repository:x:pull,push", c.param("scope"));
  }

  @Test
  void basic() {
    AuthChallenge c = AuthChallenge.parse("Basic realm=\"Registry Realm\"");
    assertTrue(c.isBasic());
    assertEquals("Registry Realm", c.param("realm"));
  }

  @Test
  void missing() {
    assertNull(AuthChallenge.parse(null));
    assertNull(AuthChallenge.parse("  "));
  }

  @Test
  void everyChallengeOfEveryHeaderAndBearerPreferred() {
    var all = AuthChallenge.parseAll(java.util.List.of(
        "Basic realm=\"a, b\", Bearer realm=\"https://t.example/token\",service=\"reg\"",
        "Negotiate"));
    assertEquals(3, all.size(), all.toString());
    assertEquals("a, b", all.get(0).param("realm"));
    assertEquals("https://t.example/token", all.get(1).param("realm"));
    assertEquals("reg", all.get(1).param("service"));
    assertEquals("negotiate", all.get(2).scheme());
    assertTrue(AuthChallenge.preferred(all).isBearer());
    var basicOnly = AuthChallenge.parseAll(java.util.List.of("Negotiate", "Basic realm=x"));
    assertTrue(AuthChallenge.preferred(basicOnly).isBasic(), "Basic from the second header line");
  }
}
