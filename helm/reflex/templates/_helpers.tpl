{{- define "reflex.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "reflex.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one component: (dict "root" $ "component" "engine") */}}
{{- define "reflex.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "reflex.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Kafka, registry and topic settings of one component: (dict "root" $ "component" "engine") */}}
{{- define "reflex.kafkaEnv" -}}
{{- $v := .root.Values -}}
- name: REFLEX_BOOTSTRAP_SERVERS
  value: {{ $v.kafka.bootstrapServers | quote }}
- name: REFLEX_SCHEMA_REGISTRY_URL
  value: {{ $v.schemaRegistry.url | quote }}
- name: REFLEX_TOPIC_PREFIX
  value: {{ $v.topicPrefix | quote }}
- name: REFLEX_SECURITY_PROTOCOL
  value: {{ $v.kafka.securityProtocol | quote }}
{{- with $v.kafka.saslMechanism }}
- name: REFLEX_SASL_MECHANISM
  value: {{ . | quote }}
{{- end }}
{{- if $v.kafka.existingSecret }}
- name: REFLEX_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.existingSecret }}
      key: {{ index $v.kafka.jaasConfigKeys .component }}
      optional: true
{{- end }}
{{- if $v.kafka.tls.truststoreSecret }}
- name: REFLEX_SSL_TRUSTSTORE_LOCATION
  value: /etc/reflex/kafka-tls/{{ $v.kafka.tls.truststoreKey }}
- name: REFLEX_SSL_TRUSTSTORE_TYPE
  value: {{ $v.kafka.tls.type | quote }}
- name: REFLEX_SSL_TRUSTSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.tls.truststoreSecret }}
      key: {{ $v.kafka.tls.passwordKey }}
{{- end }}
{{- end -}}

{{/* the volumes every pod mounts: a writable /tmp (the root filesystem is read-only) and the Kafka trust store */}}
{{- define "reflex.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.kafka.tls.truststoreSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.truststoreSecret }}
{{- end }}
{{- end -}}

{{- define "reflex.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.truststoreSecret }}
- name: kafka-tls
  mountPath: /etc/reflex/kafka-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* --set arguments from a map of settings */}}
{{- define "reflex.setArgs" -}}
{{- range $key, $value := . }}
- --set
- {{ printf "%s=%v" $key $value | quote }}
{{- end }}
{{- end -}}
