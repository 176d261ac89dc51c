# The fuzz targets, one per parser that takes outside bytes. Included by fuzz/CMakeLists.txt (which
# builds them) and tests/fuzz/CMakeLists.txt (which registers their smoke runs); each defines
# fro_fuzz_target() before including this file, so the list lives in one place.
#   fro_fuzz_target(<name> SOURCE <files...> LIBS <libs...> MAX_LEN <bytes> [DICT <fuzz/dict file>])
# <name> is what hack/fuzz.sh takes and the seed folder fuzz/corpus/<name>/.
fro_fuzz_target(yaml_lint SOURCE YamlLintFuzzer.cpp LIBS fro_plugin MAX_LEN 16384 DICT yaml.dict)
fro_fuzz_target(rollout_spec SOURCE RolloutSpecFuzzer.cpp FlagdSchema.cpp LIBS fro_rollout MAX_LEN 32768 DICT rollout_json.dict)
fro_fuzz_target(prometheus SOURCE PrometheusResponseFuzzer.cpp LIBS fro_gates MAX_LEN 32768 DICT promql_json.dict)
fro_fuzz_target(watch_stream SOURCE WatchStreamFuzzer.cpp LIBS fro_kube fro_http MAX_LEN 8192 DICT watch_json.dict)
fro_fuzz_target(kubeconfig SOURCE KubeConfigFuzzer.cpp LIBS fro_kube MAX_LEN 16384 DICT kubeconfig.dict)
fro_fuzz_target(token_file SOURCE TokenFileFuzzer.cpp LIBS fro_kube MAX_LEN 4096)
fro_fuzz_target(duration SOURCE DurationFuzzer.cpp LIBS fro_common MAX_LEN 64 DICT duration.dict)
fro_fuzz_target(base64 SOURCE Base64Fuzzer.cpp LIBS fro_kube MAX_LEN 4096)
fro_fuzz_target(rfc3339 SOURCE Rfc3339Fuzzer.cpp LIBS fro_common MAX_LEN 64)
fro_fuzz_target(pem SOURCE PemFuzzer.cpp LIBS fro_kube MAX_LEN 8192 DICT pem.dict)
fro_fuzz_target(flag_document SOURCE FlagDocumentFuzzer.cpp FlagdSchema.cpp LIBS fro_rollout MAX_LEN 4096)
