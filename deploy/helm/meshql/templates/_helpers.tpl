{{/* Chart name, cut to the 63 characters a label value allows. */}}
{{- define "meshql.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name of the release's objects. A release named "meshql"
(or containing "meshql") uses the release name as is.
*/}}
{{- define "meshql.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "meshql.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meshql.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshql.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meshql.labels" -}}
helm.sh/chart: {{ include "meshql.chart" . }}
{{ include "meshql.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: meshql
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "meshql.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "meshql.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Secret holding the serving certificate (tls.crt, tls.key). */}}
{{- define "meshql.servingCertSecretName" -}}
{{- default (printf "%s-serving-cert" (include "meshql.fullname" .)) .Values.tls.secretName -}}
{{- end -}}

{{- define "meshql.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
