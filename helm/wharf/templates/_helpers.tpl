{{- define "wharf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wharf.fullname" -}}
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

{{- define "wharf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "wharf.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "wharf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wharf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wharf.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wharf.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "wharf.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The embedded modes keep state on one volume: refuse what would corrupt it. */}}
{{- define "wharf.validate" -}}
{{- $multi := or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled -}}
{{- if and $multi (eq .Values.database.type "sqlite") -}}
{{- fail "database.type=sqlite (embedded) allows exactly one replica: use database.type=mysql for replicaCount > 1 or autoscaling" -}}
{{- end -}}
{{- if and $multi (eq .Values.storage.type "fs") -}}
{{- fail "storage.type=fs allows exactly one replica: use storage.type=s3 for replicaCount > 1 or autoscaling" -}}
{{- end -}}
{{- if and (eq .Values.database.type "mysql") (not .Values.database.mysql.host) -}}
{{- fail "database.mysql.host is required with database.type=mysql" -}}
{{- end -}}
{{- if and (eq .Values.storage.type "s3") (not .Values.storage.s3.endpoint) -}}
{{- fail "storage.s3.endpoint is required with storage.type=s3" -}}
{{- end -}}
{{- end -}}

{{- define "wharf.needsVolume" -}}
{{- if or (eq .Values.database.type "sqlite") (eq .Values.storage.type "fs") -}}true{{- end -}}
{{- end -}}

{{- define "wharf.migrationJob" -}}
{{- if and .Values.migrations.job (eq .Values.database.type "mysql") -}}true{{- end -}}
{{- end -}}

{{- define "wharf.baseUrl" -}}
{{- if .Values.baseUrl -}}
{{- .Values.baseUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (index .Values.ingress.hosts 0).host -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the Deployment and the migration Job. */}}
{{- define "wharf.env" -}}
- name: REGISTRY_DB_POOL_SIZE
  value: {{ .Values.database.mysql.poolSize | quote }}
{{- if eq .Values.database.type "mysql" }}
- name: REGISTRY_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) .Values.database.mysql.existingSecret }}
      key: {{ ternary .Values.database.mysql.existingSecretPasswordKey "mysql-password" (ne .Values.database.mysql.existingSecret "") }}
- name: REGISTRY_DB_URL
  value: {{ printf "mysql://%s@%s:%v/%s" .Values.database.mysql.username .Values.database.mysql.host .Values.database.mysql.port .Values.database.mysql.database | quote }}
{{- end }}
{{- if eq .Values.storage.type "s3" }}
- name: REGISTRY_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) .Values.storage.s3.existingSecret }}
      key: {{ ternary .Values.storage.s3.existingSecretAccessKeyKey "s3-access-key" (ne .Values.storage.s3.existingSecret "") }}
- name: REGISTRY_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) .Values.storage.s3.existingSecret }}
      key: {{ ternary .Values.storage.s3.existingSecretSecretKeyKey "s3-secret-key" (ne .Values.storage.s3.existingSecret "") }}
{{- end }}
{{- if or .Values.secret.value .Values.secret.existingSecret }}
- name: REGISTRY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) .Values.secret.existingSecret }}
      key: {{ ternary .Values.secret.existingSecretKey "registry-secret" (ne .Values.secret.existingSecret "") }}
{{- end }}
{{- if and .Values.admin.username (or .Values.admin.password .Values.admin.existingSecret) }}
- name: REGISTRY_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) .Values.admin.existingSecret }}
      key: {{ ternary .Values.admin.existingSecretPasswordKey "admin-password" (ne .Values.admin.existingSecret "") }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
