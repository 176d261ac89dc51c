# syntax=docker/dockerfile:1
# feature-rollout-operator image: the operator and the kubectl plugin, built on Debian 12 and run
# as a non-root user (65532) on debian:12-slim with only the shared libraries they link.
#   docker build -t <registry>/feature-rollout-operator:0.1.0 .
#   docker push <registry>/feature-rollout-operator:0.1.0
# Then install the chart with --set image.repository=<registry>/feature-rollout-operator.

# --- build ---------------------------------------------------------------------------------------
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
# The C++ packages of hack/install-deps.sh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates curl openssl \
      libyaml-cpp-dev nlohmann-json3-dev libssl-dev \
      libcurl4-openssl-dev prometheus-cpp-dev libgtest-dev libgmock-dev googletest \
      libcli11-dev libspdlog-dev libfmt-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRO_BUILD_TESTS=OFF \
 && cmake --build /build --target feature-rollout-operator kubectl-featurerollout -j "$(nproc)" \
 && mkdir -p /out \
 && install -m 0755 -s /build/bin/feature-rollout-operator /build/bin/kubectl-featurerollout /out/
# The Debian packages that own the shared libraries the two binaries load (ldd, so libraries
# those libraries need are listed too): the runtime stage installs exactly these.
RUN set -e; \
    for lib in $(ldd /out/feature-rollout-operator /out/kubectl-featurerollout | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do \
      owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null) \
        || { echo "no Debian package owns $lib" >&2; exit 1; }; \
      echo "${owner%%:*}"; \
    done | sort -u > /out/runtime-packages.txt; \
    cat /out/runtime-packages.txt

# --- runtime -------------------------------------------------------------------------------------
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
# ca-certificates: TLS to Prometheus and other servers is verified against the system CAs (the API
# server's CA comes from the ServiceAccount mount).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /out/feature-rollout-operator /out/kubectl-featurerollout /usr/local/bin/
# Every shared library resolves (fails the build otherwise), and the binary starts.
RUN ! ldd /usr/local/bin/feature-rollout-operator /usr/local/bin/kubectl-featurerollout | grep -F "not found" \
 && /usr/local/bin/feature-rollout-operator --version
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/feature-rollout-operator"]
