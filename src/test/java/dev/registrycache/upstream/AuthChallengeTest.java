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
}
