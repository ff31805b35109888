package dev.registrycache.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Docker schema 1 manifests as old registries serve them: pretty-printed JSON signed with a
 * JWS whose protected header says how to cut the signatures out again ({@code formatLength},
 * {@code formatTail}). The digest of such a manifest is the hash of {@link #payload}, not of
 * the bytes served.
 */
public final class Schema1Manifests {
  private Schema1Manifests() {}

  /** The unsigned payload: what the digest covers. */
  public static byte[] payload(String name, String tag, String layerDigest) {
    String json = "{\n   \"schemaVersion\": 1,\n   \"name\": \"" + name + "\",\n   \"tag\": \"" + tag
        + "\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [\n      {\n         \"blobSum\": \""
        + layerDigest + "\"\n      }\n   ],\n   \"history\": [\n      {\n         \"v1Compatibility\": "
        + "\"{\\\"id\\\":\\\"" + tag + "\\\"}\"\n      }\n   ]\n}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code payload} signed the way libtrust formats it: signatures spliced in before the tail. */
  public static byte[] signed(byte[] payload) {
    String p = new String(payload, StandardCharsets.UTF_8);
    int formatLength = p.lastIndexOf("\n}");
    String tail = p.substring(formatLength);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String protectedHeader = b64.encodeToString(("{\"formatLength\":" + formatLength + ",\"formatTail\":\""
        + b64.encodeToString(tail.getBytes(StandardCharsets.UTF_8)) + "\",\"time\":\"2016-01-01T00:00:00Z\"}")
        .getBytes(StandardCharsets.UTF_8));
    String signatures = ",\n   \"signatures\": [\n      {\n         \"header\": {\n            \"jwk\": {\n"
        + "               \"crv\": \"P-256\",\n               \"kty\": \"EC\",\n"
        + "               \"x\": \"Zm9v\",\n               \"y\": \"YmFy\"\n            },\n"
        + "            \"alg\": \"ES256\"\n         },\n         \"signature\": \"c2lnbmF0dXJl\",\n"
        + "         \"protected\": \"" + protectedHeader + "\"\n      }\n   ]";
    return (p.substring(0, formatLength) + signatures + tail).getBytes(StandardCharsets.UTF_8);
  }
}
