{{/* Names, labels and the pieces every component's Pod shares. */}}

{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "palisade.component" (dict "ctx" $ "component" "webhook") → <fullname>-webhook */}}
{{- define "palisade.componentName" -}}
{{- printf "%s-%s" (include "palisade.fullname" .ctx) .component -}}
{{- end -}}

{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "palisade.labels" -}}
{{ include "palisade.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: palisade
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "palisade.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level fields shared by every component: "palisade.podCommon" (dict "ctx" $ "values" .Values.webhook "component" "webhook") */}}
{{- define "palisade.podCommon" -}}
serviceAccountName: {{ include "palisade.componentName" . }}
{{- /* the runtime service calls no Kubernetes API */}}
automountServiceAccountToken: {{ ne .component "runtime" }}
enableServiceLinks: false
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Container fields shared by every component. */}}
{{- define "palisade.containerCommon" -}}
image: {{ include "palisade.image" .ctx }}
imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .ctx.Values.securityContext | nindent 2 }}
resources:
  {{- toYaml .values.resources | nindent 2 }}
{{- end -}}

{{/* Env shared by every component: a writable HOME/cache under /tmp (the root FS is read-only). */}}
{{- define "palisade.env" -}}
- name: HOME
  value: /tmp
- name: XDG_CACHE_HOME
  value: /var/cache
- name: PALISADE_LOG_LEVEL
  value: {{ .ctx.Values.logLevel | quote }}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end -}}

{{- define "palisade.pdb" -}}
{{- if .values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "palisade.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "palisade.labels" . | nindent 4 }}
spec:
  {{- if hasKey .values.podDisruptionBudget "minAvailable" }}
  minAvailable: {{ .values.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .values.podDisruptionBudget.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "palisade.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "palisade.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "palisade.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "palisade.labels" . | nindent 4 }}
{{- end -}}

{{/* Namespaces the webhook never intercepts: the configured ones plus the release namespace. */}}

{{- define "palisade.webhookConfigName" -}}
{{- default (include "palisade.fullname" .) .Values.webhook.configurationName -}}
{{- end -}}

{{/*
In-cluster access: Palisade's Kubernetes client reads a kubeconfig (it has no in-cluster mode
yet), so the chart mounts one that points at the API server with the Pod's ServiceAccount
token and CA (ConfigMap <fullname>-kubeconfig).
*/}}
{{- define "palisade.kubeconfigEnv" -}}
- name: KUBECONFIG
  value: /etc/palisade/kubeconfig/kubeconfig
{{- end -}}
{{- define "palisade.kubeconfigMount" -}}
- { name: kubeconfig, mountPath: /etc/palisade/kubeconfig, readOnly: true }
{{- end -}}
{{- define "palisade.kubeconfigVolume" -}}
- name: kubeconfig
  configMap:
    name: {{ include "palisade.fullname" .ctx }}-kubeconfig
{{- end -}}
