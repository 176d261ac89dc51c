#pragma once
// Finds and reads the operator's Kubernetes client configuration the way kubectl and
// controller-runtime do: --kubeconfig, else $KUBECONFIG (a ':'-separated list, merged), else
// in-cluster when preferred and available, else ~/.kube/config, else in-cluster.
//
// Supported kubeconfig fields:
//   current-context; contexts[].context.{cluster,user,namespace}
//   clusters[].cluster.{server, certificate-authority, certificate-authority-data,
//                       insecure-skip-tls-verify, tls-server-name}
//   users[].user.{client-certificate, client-certificate-data, client-key, client-key-data,
//                 token, tokenFile}
// Relative file paths resolve against the directory of the kubeconfig file that names them; a
// *-data field wins over its file counterpart. exec/auth-provider plugins and basic auth are
// rejected with a clear error. Every problem comes back as an Error naming the file, the entry
// and the field; token values and key material never appear in messages.
#include <memory>
#include <string>
#include <vector>

#include "runtime/common/Clock.h"
#include "runtime/common/Result.h"
#include "runtime/kube/ClusterConfig.h"
#include "runtime/kube/InClusterConfig.h"

namespace fro::kube {

class KubeConfig {
 public:
  struct LoadOptions {
    // --kubeconfig: this file only (it must exist). Empty: $KUBECONFIG, then ~/.kube/config.
    std::string kubeconfigPath;
    // --context: overrides current-context. A context also rules out the in-cluster fallback.
    std::string context;
    // With no --kubeconfig and no $KUBECONFIG, use the in-cluster service account before
    // ~/.kube/config when in a pod: KUBERNETES_SERVICE_HOST is set or <serviceAccountDir>/token
    // exists (what a Deployment wants). Either also enables the last-resort in-cluster fallback.
    bool preferInCluster = false;
    // In-cluster service account directory (token, ca.crt, namespace); tests point it elsewhere.
    std::string serviceAccountDir = InClusterConfig::kServiceAccountDir;
    // Environment lookup (KUBECONFIG, HOME, KUBERNETES_SERVICE_*); empty: the process environment.
    Getenv getenv;
    // "Now" for client certificate validity; null: the system clock.
    std::shared_ptr<const Clock> clock;
  };

  // Resolves the configuration as described above.
  static Result<ClusterConfig> load(const LoadOptions& options);

  // Reads kubeconfig files and merges them like kubectl: for clusters, users and contexts the
  // first file to define a name wins, and so does the first non-empty current-context. Every
  // file must exist (load() skips missing $KUBECONFIG entries before calling this).
  static Result<ClusterConfig> loadFiles(const std::vector<std::string>& paths, const LoadOptions& options);

  // A kubeconfig document held in memory. `source` names it in messages; relative paths resolve
  // against baseDir.
  static Result<ClusterConfig> parse(const std::string& yaml, const std::string& source, const std::string& baseDir,
                                     const LoadOptions& options);

  // Splits a $KUBECONFIG value on ':' dropping empty and repeated entries.
  static std::vector<std::string> splitPathList(const std::string& value);
};

}  // namespace fro::kube
