# Pinned versions of everything the local control plane builds. Sourced.
K8S_VERSION=${K8S_VERSION:-v1.36.3}      # kube-apiserver, kube-controller-manager (staging modules v0.36.3)
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}    # etcd server, built from go.etcd.io/etcd/server/v3
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}     # fake nodes: pods become Running and Ready
HELM_VERSION=${HELM_VERSION:-v3.19.5}
