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

{{/* "<fullname>-<suffix>", within the 63 characters of a name. (list . "suffix") */}}
{{- define "wharf.suffixed" -}}
{{- $suffix := index . 1 -}}
{{- printf "%s-%s" (include "wharf.fullname" (index . 0) | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}

{{/* The release's configuration: a ConfigMap and a Secret that are never hooks. */}}
{{- define "wharf.configName" -}}{{ include "wharf.suffixed" (list . "config") }}{{- end -}}
{{- define "wharf.secretName" -}}{{ include "wharf.suffixed" (list . "credentials") }}{{- end -}}
{{/* The migration hook's own copy of both, created and deleted with the hook. */}}
{{- define "wharf.migrateName" -}}{{ include "wharf.suffixed" (list . "migrate") }}{{- end -}}

{{- define "wharf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "wharf.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
The Deployment's selector (immutable: unchanged since 0.1). Pods of the migration Job
and of `helm test` carry another app.kubernetes.io/name, so the Service, the HPA and the
PDB never count them.
*/}}
{{- define "wharf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wharf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of a pod that is not a server: (list . "migrate") */}}
{{- define "wharf.auxiliaryLabels" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ printf "%s-%s" (include "wharf.name" $root) $component | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
app.kubernetes.io/part-of: {{ include "wharf.name" $root }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
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

{{- define "wharf.needsVolume" -}}
{{- if or (eq .Values.database.type "sqlite") (eq .Values.storage.type "fs") -}}true{{- end -}}
{{- end -}}

{{- define "wharf.migrationJob" -}}
{{- if and .Values.migrations.job (eq .Values.database.type "mysql") -}}true{{- end -}}
{{- end -}}

{{/* Seconds in a duration such as 90, 30s, 15m, 2h, 1d (the server's syntax). */}}
{{- define "wharf.seconds" -}}
{{- $number := regexFind "^[0-9]+" . -}}
{{- $unit := trimPrefix $number . | trim -}}
{{- mul (atoi $number) (get (dict "" 1 "s" 1 "m" 60 "h" 3600 "d" 86400) $unit) -}}
{{- end -}}

{{/* SIGTERM comes after the preStop sleep; the shutdown timeout then runs; 10 s spare. */}}
{{- define "wharf.terminationGracePeriodSeconds" -}}
{{- $needed := add .Values.preStopSleepSeconds (include "wharf.seconds" .Values.registry.shutdownTimeout) -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- add $needed 10 -}}
{{- else -}}
{{- int .Values.terminationGracePeriodSeconds -}}
{{- end -}}
{{- end -}}

{{/* Pods running at once at most: the replicas (or the HPA's maximum) plus one surging. */}}
{{- define "wharf.maxPods" -}}
{{- add (ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled) 1 -}}
{{- end -}}

{{/* Pods running at least, outside a rollout. */}}
{{- define "wharf.minPods" -}}
{{- ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled -}}
{{- end -}}

{{/*
The public URL: baseUrl; else the first ingress host (https when an ingress.tls entry
covers it); else http://localhost:8080, where NOTES' port-forward puts the Service.
*/}}
{{- define "wharf.baseUrl" -}}
{{- if .Values.baseUrl -}}
{{- trimSuffix "/" .Values.baseUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- $host := (first .Values.ingress.hosts).host -}}
{{- $https := false -}}
{{- range .Values.ingress.tls -}}
{{- if or (not .hosts) (has $host .hosts) -}}{{- $https = true -}}{{- end -}}
{{- end -}}
{{- printf "%s://%s" (ternary "https" "http" $https) $host -}}
{{- else -}}
http://localhost:8080
{{- end -}}
{{- end -}}

{{/* Where the CA of the MySQL server is mounted. */}}
{{- define "wharf.dbCaDir" -}}/etc/wharf/db-ca{{- end -}}

{{/* Non-secret settings: the ConfigMap's data (the migration hook's copy too). */}}
{{- define "wharf.configData" -}}
PORT: "3000"
REGISTRY_METRICS_PORT: {{ .Values.metrics.port | quote }}
REGISTRY_DATA_DIR: /data
REGISTRY_BASE_URL: {{ include "wharf.baseUrl" . | quote }}
REGISTRY_LOG_LEVEL: {{ .Values.registry.logLevel | quote }}
REGISTRY_REQUIRE_SIGNIN: {{ .Values.registry.requireSignin | quote }}
REGISTRY_LIMIT_SIZE_DEFAULT: {{ .Values.registry.defaultSizeLimit | quote }}
{{- range $type, $limit := .Values.registry.sizeLimits }}
REGISTRY_LIMIT_SIZE_{{ upper $type }}: {{ $limit | quote }}
{{- end }}
REGISTRY_CLEANUP_INTERVAL: {{ .Values.registry.cleanupInterval | quote }}
REGISTRY_CLEANUP_OLDER_THAN: {{ .Values.registry.cleanupOlderThan | quote }}
REGISTRY_UPLOAD_SESSION_TTL: {{ .Values.registry.uploadSessionTtl | quote }}
REGISTRY_SHUTDOWN_TIMEOUT: {{ .Values.registry.shutdownTimeout | quote }}
# under the database lock, so a rollout outside Helm never runs new code on an old schema
REGISTRY_MIGRATE_ON_START: "true"
{{- if eq .Values.database.type "mysql" }}
{{- $m := .Values.database.mysql }}
REGISTRY_DB_URL: {{ printf "mysql://%s@%s:%v/%s" (urlquery $m.username) $m.host $m.port $m.database | quote }}
REGISTRY_DB_POOL_SIZE: {{ $m.poolSize | quote }}
{{- if $m.tls.enabled }}
REGISTRY_DB_TLS: {{ ternary "true" "skip-verify" $m.tls.verify | quote }}
{{- with $m.tls.caSecret }}
REGISTRY_DB_TLS_CA: {{ printf "%s/%s" (include "wharf.dbCaDir" $) $m.tls.caSecretKey | quote }}
{{- end }}
{{- end }}
{{- end }}
REGISTRY_STORAGE: {{ .Values.storage.type | quote }}
{{- if eq .Values.storage.type "s3" }}
REGISTRY_S3_ENDPOINT: {{ trimSuffix "/" .Values.storage.s3.endpoint | quote }}
REGISTRY_S3_BUCKET: {{ .Values.storage.s3.bucket | quote }}
REGISTRY_S3_REGION: {{ .Values.storage.s3.region | quote }}
REGISTRY_S3_SERVE_DIRECT: {{ .Values.storage.s3.serveDirect | quote }}
REGISTRY_S3_PART_SIZE: {{ .Values.storage.s3.partSize | quote }}
{{- end }}
{{- if .Values.admin.username }}
REGISTRY_ADMIN_USERNAME: {{ .Values.admin.username | quote }}
{{- with .Values.admin.email }}
REGISTRY_ADMIN_EMAIL: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Secrets given as values: the chart's Secret data (plain text; b64-encoded by the templates). */}}
{{- define "wharf.secretData" -}}
{{- $data := dict -}}
{{- if and (eq .Values.database.type "mysql") (not .Values.database.mysql.existingSecret) -}}
{{- $_ := set $data "mysql-password" .Values.database.mysql.password -}}
{{- end -}}
{{- if and (eq .Values.storage.type "s3") (not .Values.storage.s3.iam) (not .Values.storage.s3.existingSecret) -}}
{{- $_ := set $data "s3-access-key" .Values.storage.s3.accessKey -}}
{{- $_ := set $data "s3-secret-key" .Values.storage.s3.secretKey -}}
{{- end -}}
{{- if and .Values.secret.value (not .Values.secret.existingSecret) -}}
{{- $_ := set $data "registry-secret" .Values.secret.value -}}
{{- end -}}
{{- if and .Values.admin.username .Values.admin.password (not .Values.admin.existingSecret) -}}
{{- $_ := set $data "admin-password" .Values.admin.password -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* One secretKeyRef env var: (list name existingSecret existingKey managedSecret managedKey) */}}
{{- define "wharf.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ default (index . 3) (index . 1) }}
      key: {{ ternary (index . 2) (index . 4) (ne (index . 1) "") }}
{{- end -}}

{{/* Secret environment of the server and the Job: (list . managedSecretName) */}}
{{- define "wharf.secretEnvs" -}}
{{- $root := index . 0 -}}
{{- $managed := index . 1 -}}
{{- $v := $root.Values -}}
{{- if eq $v.database.type "mysql" }}
{{ include "wharf.secretEnv" (list "REGISTRY_DB_PASSWORD" $v.database.mysql.existingSecret $v.database.mysql.existingSecretPasswordKey $managed "mysql-password") }}
{{- end }}
{{- if and (eq $v.storage.type "s3") (not $v.storage.s3.iam) }}
{{ include "wharf.secretEnv" (list "REGISTRY_S3_ACCESS_KEY" $v.storage.s3.existingSecret $v.storage.s3.existingSecretAccessKeyKey $managed "s3-access-key") }}
{{ include "wharf.secretEnv" (list "REGISTRY_S3_SECRET_KEY" $v.storage.s3.existingSecret $v.storage.s3.existingSecretSecretKeyKey $managed "s3-secret-key") }}
{{- end }}
{{- if or $v.secret.value $v.secret.existingSecret }}
{{ include "wharf.secretEnv" (list "REGISTRY_SECRET" $v.secret.existingSecret $v.secret.existingSecretKey $managed "registry-secret") }}
{{- end }}
{{- if $v.admin.username }}
{{ include "wharf.secretEnv" (list "REGISTRY_ADMIN_PASSWORD" $v.admin.existingSecret $v.admin.existingSecretPasswordKey $managed "admin-password") }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes every Wharf pod has besides its data: /tmp, the MySQL CA, extraVolumes. */}}
{{- define "wharf.commonVolumes" -}}
- name: tmp
  emptyDir: {}
{{- with .Values.database.mysql.tls }}
{{- if and (eq $.Values.database.type "mysql") .enabled .caSecret }}
- name: db-ca
  secret:
    secretName: {{ .caSecret }}
    items:
      - key: {{ .caSecretKey }}
        path: {{ .caSecretKey }}
{{- end }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "wharf.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and (eq .Values.database.type "mysql") .Values.database.mysql.tls.enabled .Values.database.mysql.tls.caSecret }}
- name: db-ca
  mountPath: {{ include "wharf.dbCaDir" . }}
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* What the server pods and the Job share: scheduling, pull secrets, security. */}}
{{- define "wharf.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.initContainers }}
initContainers:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
