{{/* Full name of the release's objects. */}}
{{- define "registry-cache.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "registry-cache.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "registry-cache.labels" -}}
{{ include "registry-cache.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/*
The operator's ServiceAccount. Without one of its own it must be named: the namespace's
`default` ServiceAccount never gets the operator's rights.
*/}}
{{- define "registry-cache.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "registry-cache.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false (the rights are bound to exactly that ServiceAccount, never to default)" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The cache pods' ServiceAccount: the same rule. */}}
{{- define "registry-cache.nodeServiceAccountName" -}}
{{- if .Values.nodeServiceAccount.create -}}
{{- default (printf "%s-node" (include "registry-cache.fullname" .)) .Values.nodeServiceAccount.name -}}
{{- else -}}
{{- required "nodeServiceAccount.name is required when nodeServiceAccount.create is false (the rights are bound to exactly that ServiceAccount, never to default)" .Values.nodeServiceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "registry-cache.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The ServiceAccount that may only read /metrics: the PodMonitor, the ServiceMonitor and the operator use its tokens. */}}
{{- define "registry-cache.metricsReaderName" -}}
{{- printf "%s-metrics-reader" (include "registry-cache.fullname" .) -}}
{{- end -}}
