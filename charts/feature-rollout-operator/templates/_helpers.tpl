{{/* Chart name, overridable. */}}
{{- define "fro.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or <release> when it already contains the chart name. */}}
{{- define "fro.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fro.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fro.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fro.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fro.labels" -}}
helm.sh/chart: {{ include "fro.chart" . }}
{{ include "fro.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "fro.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fro.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fro.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "fro.metricsServiceName" -}}
{{- printf "%s-metrics" (include "fro.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The rules the operator needs in every namespace it handles: exactly the API calls it makes
(README.md, "Permissions"). Used by the ClusterRole, or by one Role per watched namespace.
*/}}
{{- define "fro.rules" -}}
# FeatureRollouts: informer (list, watch), reads, finalizer add/remove (JSON patch).
- apiGroups: [rollouts.featureflags.dev]
  resources: [featurerollouts]
  verbs: [get, list, watch, patch]
# Status is written through the status subresource (update with resourceVersion).
- apiGroups: [rollouts.featureflags.dev]
  resources: [featurerollouts/status]
  verbs: [update]
# The ConfigMap it owns sets blockOwnerDeletion, which the API server allows only to who may
# update the owner's finalizers.
- apiGroups: [rollouts.featureflags.dev]
  resources: [featurerollouts/finalizers]
  verbs: [update]
# Flag ConfigMaps: informer, server-side apply (patch; create when the apply creates it).
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, patch]
# Target workloads: informers, server-side apply of envFrom and the checksum annotation.
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [get, list, watch, patch]
# Events for every transition (create, then patch the count of a repeated one).
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- if .Values.gates.readSecrets }}
# Prometheus bearer-token and CA Secrets named by a rollout (gates.readSecrets): get only.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
{{- end }}
{{- end }}

{{/* Fails the render on combinations that cannot work. */}}
{{- define "fro.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled=true: several active replicas would fight over the same rollouts" }}
{{- end }}
{{- range .Values.watchNamespaces }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .) }}
{{- fail (printf "watchNamespaces: %q is not a valid namespace name" .) }}
{{- end }}
{{- end }}
{{- if not (has .Values.logging.format (list "json" "text")) }}
{{- fail (printf "logging.format must be json or text, not %q" .Values.logging.format) }}
{{- end }}
{{- if not (has .Values.logging.level (list "debug" "info" "warn" "error")) }}
{{- fail (printf "logging.level must be debug, info, warn or error, not %q" .Values.logging.level) }}
{{- end }}
{{- end }}
