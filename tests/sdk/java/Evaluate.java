// Evaluates the operator's flag documents with the Java OpenFeature SDK and its flagd provider in
// file mode (Resolver.FILE with offlineFlagSourcePath) and prints, per percent, which users were
// served "on" (tests/sdk/check.py judges it). Run as a single source file:
//   java -cp 'CACHE/java/lib/*' Evaluate.java DIR
import dev.openfeature.contrib.providers.flagd.Config;
import dev.openfeature.contrib.providers.flagd.FlagdOptions;
import dev.openfeature.contrib.providers.flagd.FlagdProvider;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class Evaluate {
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    Path dir = Path.of(args[0]);
    ObjectMapper json = new ObjectMapper();
    JsonNode fixture = json.readTree(Files.readString(dir.resolve("fixture.json"), StandardCharsets.UTF_8));
    List<String> users = new ArrayList<>();
    for (String set : new String[] {"ascii", "nonAscii"}) fixture.get("users").get(set).forEach(u -> users.add(u.asText()));
    String flag = fixture.get("flag").asText();
    OpenFeatureAPI api = OpenFeatureAPI.getInstance();
    ObjectNode results = json.createObjectNode();
    for (JsonNode pn : fixture.get("percents")) {
      String p = pn.asText();
      String domain = "percent-" + p;
      FlagdOptions options = FlagdOptions.builder()
          .resolverType(Config.Resolver.FILE)
          .deadline(15000)  // the first parse under a loaded machine can take over the default 1 s
          .offlineFlagSourcePath(dir.resolve(fixture.get("documents").get(p).asText()).toString())
          .build();
      api.setProviderAndWait(domain, new FlagdProvider(options));
      Client client = api.getClient(domain);
      int errors = 0;
      StringBuilder bits = new StringBuilder(users.size());
      for (String u : users) {
        FlagEvaluationDetails<Boolean> d = client.getBooleanDetails(flag, false, new ImmutableContext(u));
        if (d.getErrorCode() != null) errors++;
        bits.append(Boolean.TRUE.equals(d.getValue()) ? '1' : '0');
      }
      FlagEvaluationDetails<Boolean> empty = client.getBooleanDetails(flag, false, new ImmutableContext(""));
      ObjectNode r = results.putObject(p);
      r.put("bits", bits.toString());
      r.put("errors", errors);
      r.put("emptyKey", empty.getValue());
      r.put("emptyKeyReason", empty.getReason());
      StringBuilder vectorBits = new StringBuilder();
      for (JsonNode u : fixture.get("vectors").get("users"))
        vectorBits.append(client.getBooleanValue(fixture.get("vectors").get("flag").asText(), false, new ImmutableContext(u.asText())) ? '1' : '0');
      r.put("vectorBits", vectorBits.toString());
      ObjectNode meta = r.putObject("flagMetadata");
      var fm = client.getBooleanDetails(flag, false, new ImmutableContext(users.get(0))).getFlagMetadata();
      for (String key : new String[] {"rollout", "revision"}) {
        Object v = fm == null ? null : fm.getString(key) != null ? fm.getString(key) : fm.getInteger(key);
        if (v instanceof Integer i) meta.put(key, i);
        else if (v != null) meta.put(key, v.toString());
      }
    }
    api.shutdown();
    ObjectNode out = json.createObjectNode();
    out.put("sdk", "dev.openfeature.contrib.providers:flagd");
    out.put("version", jarVersion(FlagdProvider.class, "flagd"));
    out.putObject("with").put("dev.openfeature:sdk", jarVersion(OpenFeatureAPI.class, "sdk"));
    out.put("runtime", "java " + System.getProperty("java.version"));
    out.set("results", results);
    out.put("elapsedMs", (System.nanoTime() - start) / 1_000_000);
    System.out.println(json.writeValueAsString(out));
  }

  // The jars' manifests carry no version; their file names (flagd-0.11.15.jar) do.
  static String jarVersion(Class<?> c, String artifact) {
    String name = Path.of(c.getProtectionDomain().getCodeSource().getLocation().getPath()).getFileName().toString();
    return name.startsWith(artifact + "-") && name.endsWith(".jar") ? name.substring(artifact.length() + 1, name.length() - 4) : name;
  }
}
