{{/*
Combinations that would render but fail in the cluster, refused at render time with the
value to change. values.schema.json has already checked types and names.
*/}}
{{- define "wharf.validate" -}}
{{- $v := .Values -}}
{{- $multi := or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled -}}
{{- if and $multi (eq $v.database.type "sqlite") -}}
{{- fail "database.type=sqlite (embedded) allows exactly one replica: use database.type=mysql for replicaCount > 1 or autoscaling" -}}
{{- end -}}
{{- if and $multi (eq $v.storage.type "fs") -}}
{{- fail "storage.type=fs allows exactly one replica: use storage.type=s3 for replicaCount > 1 or autoscaling" -}}
{{- end -}}
{{- if and (include "wharf.needsVolume" .) (not $v.persistence.enabled) -}}
{{- fail "persistence.enabled=false would keep the embedded database or the blobs (database.type=sqlite or storage.type=fs) on an emptyDir, lost at every restart: enable persistence, or use database.type=mysql and storage.type=s3" -}}
{{- end -}}

{{- if eq $v.database.type "mysql" -}}
{{- $m := $v.database.mysql -}}
{{- $_ := required "database.mysql.host is required with database.type=mysql" $m.host -}}
{{- if not (or $m.password $m.existingSecret) -}}
{{- fail "database.mysql.password (or database.mysql.existingSecret) is required with database.type=mysql" -}}
{{- end -}}
{{- if and $m.tls.caSecret (not $m.tls.enabled) -}}
{{- fail "database.mysql.tls.caSecret is set but database.mysql.tls.enabled is false" -}}
{{- end -}}
{{- $pods := int (include "wharf.maxPods" .) -}}
{{- $connections := mul $pods (int $m.poolSize) -}}
{{- if and (gt (int $m.maxConnections) 0) (gt $connections (int $m.maxConnections)) -}}
{{- fail (printf "database.mysql.poolSize (%d) × %d pods (replicas or autoscaling.maxReplicas, plus one during a rollout) = %d connections exceeds database.mysql.maxConnections (%d): lower the pool or the replicas, or raise max_connections on the server and database.mysql.maxConnections" (int $m.poolSize) $pods $connections (int $m.maxConnections)) -}}
{{- end -}}
{{- end -}}

{{- if eq $v.storage.type "s3" -}}
{{- $s := $v.storage.s3 -}}
{{- $_ := required "storage.s3.endpoint is required with storage.type=s3" $s.endpoint -}}
{{- if $s.iam -}}
{{- if or $s.accessKey $s.secretKey $s.existingSecret -}}
{{- fail "storage.s3.iam=true takes its credentials from the pod's IAM role: unset storage.s3.accessKey, storage.s3.secretKey and storage.s3.existingSecret" -}}
{{- end -}}
{{- else if not (or $s.existingSecret (and $s.accessKey $s.secretKey)) -}}
{{- fail "storage.s3.accessKey and storage.s3.secretKey (or storage.s3.existingSecret, or storage.s3.iam=true for an IAM role) are required with storage.type=s3" -}}
{{- end -}}
{{- end -}}

{{- if and $v.admin.username (not (or $v.admin.password $v.admin.existingSecret)) -}}
{{- fail "admin.password (or admin.existingSecret) is required when admin.username is set" -}}
{{- end -}}
{{- if and (not $v.admin.username) (or $v.admin.password $v.admin.existingSecret) -}}
{{- fail "admin.username is required when admin.password or admin.existingSecret is set" -}}
{{- end -}}
{{- if and $v.admin.password (not $v.admin.existingSecret) (lt (len $v.admin.password) 8) -}}
{{- fail "admin.password must be at least 8 characters" -}}
{{- end -}}

{{- if $v.autoscaling.enabled -}}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if not (and $v.resources $v.resources.requests $v.resources.requests.cpu) -}}
{{- fail "resources.requests.cpu is required with autoscaling.enabled: the HorizontalPodAutoscaler scales on CPU utilization of the request" -}}
{{- end -}}
{{- end -}}

{{- if $v.podDisruptionBudget.enabled -}}
{{- $min := $v.podDisruptionBudget.minAvailable -}}
{{- $pods := int (include "wharf.minPods" .) -}}
{{- if kindIs "string" $min -}}
{{- if ge (atoi (trimSuffix "%" $min)) 100 -}}
{{- fail (printf "podDisruptionBudget.minAvailable=%s never lets a pod be evicted: node drains would block" $min) -}}
{{- end -}}
{{- else if ge (int $min) $pods -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below the replica count (%d, replicaCount or autoscaling.minReplicas): otherwise no pod can be evicted and node drains block" (int $min) $pods) -}}
{{- end -}}
{{- end -}}

{{- if and $v.ingress.enabled (not $v.ingress.hosts) -}}
{{- fail "ingress.hosts needs at least one host with ingress.enabled" -}}
{{- end -}}
{{- if and (not $v.baseUrl) (not $v.ingress.enabled) (ne $v.service.type "ClusterIP") -}}
{{- fail (printf "baseUrl is required with service.type=%s and no ingress: it is the address clients use (links in package documents, the container token realm)" $v.service.type) -}}
{{- end -}}
{{- if eq (int $v.metrics.port) 3000 -}}
{{- fail "metrics.port must differ from the server's port 3000" -}}
{{- end -}}

{{- if not (kindIs "invalid" $v.terminationGracePeriodSeconds) -}}
{{- $needed := add $v.preStopSleepSeconds (include "wharf.seconds" $v.registry.shutdownTimeout) -}}
{{- if lt (int $v.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) is shorter than preStopSleepSeconds + registry.shutdownTimeout (%d s): pods would be killed mid-request; leave it empty to derive it from registry.shutdownTimeout" (int $v.terminationGracePeriodSeconds) (int $needed)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
