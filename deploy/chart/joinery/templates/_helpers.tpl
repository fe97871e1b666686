{{/* The name of every object the chart creates. */}}
{{- define "joinery.name" -}}
{{- default "joinery" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "joinery.labels" -}}
app.kubernetes.io/name: {{ include "joinery.name" . }}
app.kubernetes.io/part-of: joinery
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* The pod selector. */}}
{{- define "joinery.selectorLabels" -}}
app.kubernetes.io/name: {{ include "joinery.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
