#pragma once
// Names the operator and the kubectl plugin agree on. Imperative commands are annotations, never
// spec edits, so a GitOps tool that owns the spec does not fight them (see README, "Commands").
namespace fro::rollout::names {

inline constexpr const char* kFieldManager = "feature-rollout-operator";
inline constexpr const char* kFinalizer = "rollouts.featureflags.dev/cleanup";
// On a target's pod template: SHA-256 of the flag values, so pods roll when a value changes.
inline constexpr const char* kChecksumAnnotation = "rollouts.featureflags.dev/flags-checksum";
// On the ConfigMap: which rollout wrote it (the ownerReference is the authority).
inline constexpr const char* kRolloutLabel = "rollouts.featureflags.dev/rollout";
// On a target workload: the name of the FeatureRollout that owns its flag delivery. One workload,
// one rollout: a second rollout that targets it is Stalled (TargetClaimed) until this one lets go.
inline constexpr const char* kOwnerAnnotation = "rollouts.featureflags.dev/owner";
// On the FeatureRollout: "true" pauses like spec.paused (kubectl featurerollout pause).
inline constexpr const char* kPausedAnnotation = "rollouts.featureflags.dev/paused";
// On the FeatureRollout: "<verb> <id>", verb one of resume, promote, promote-full, abort, retry;
// acted on once, acknowledged by status.lastCommand = the same string.
inline constexpr const char* kCommandAnnotation = "rollouts.featureflags.dev/command";

// File delivery: the env vars OpenFeature flagd providers (JS, Python, Java, Go) read to evaluate
// in process from a file; with an offline source path they watch that file (every 5 s).
inline constexpr const char* kFlagdResolverEnv = "FLAGD_RESOLVER";
inline constexpr const char* kFlagdResolverValue = "in-process";
inline constexpr const char* kFlagdSourcePathEnv = "FLAGD_OFFLINE_FLAG_SOURCE_PATH";
// The pseudo-gate that evaluates spec.delivery.propagation.exposureQuery (gate names are DNS
// labels, so a dot never collides with one of the user's).
inline constexpr const char* kExposureGate = "delivery.exposure";

}  // namespace fro::rollout::names
