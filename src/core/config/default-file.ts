/**
 * The commented config file an install writes to /etc/upkeep/upkeep.yml and
 * `upkeep config show-default` prints. Every setting is commented out and shows its default, so the
 * file validates to exactly defaultConfig() until the administrator uncomments something
 * (test/core/config/default-file.test.ts checks this). Reference: docs/config.md.
 */

export const DEFAULT_CONFIG_FILE = `# upkeep agent configuration: /etc/upkeep/upkeep.yml (or \`upkeep agent --config FILE\`).
# Everything is commented out, so this file means the defaults. Keys are snake_case; durations are
# like 500ms, 10s, 2m, 4h, 7d (a bare number is seconds), each within its range (docs/config.md).
# Values may use \${ENV} and \${ENV:-default}; write $\${ for a literal "\${". Check a change with
# \`upkeep config check\`, then restart the agent:
#   systemctl restart upkeep.service
# Keep this file mode 0600 if it holds secrets (or put them in the environment: \${VAR}).
# Every key: docs/config.md

# Where the state database lives (default: UPKEEP_STATE_DIR, or /var/lib/upkeep as root).
# state_dir: /var/lib/upkeep

# The agent's HTTP listener for /metrics, /healthz and /status (HOST:PORT). Other hosts get
# /metrics and /status (they name your containers) only with http.token; /healthz is open.
# listen: 127.0.0.1:9465
# http:
#   token: \${UPKEEP_HTTP_TOKEN}   # 16+ characters (openssl rand -hex 32); sent as Authorization: Bearer

# For a fleet Prometheus, a second listener (/metrics only) with TLS and basic auth from an
# Exporter web configuration file: tls_server_config, basic_auth_users (docs/fleet.md).
# metrics:
#   listen: 0.0.0.0:9466
#   web_config: /etc/upkeep/metrics-web.yml

# log_format: json               # json | pretty

# Full re-list of containers even without Docker events.
# resync: 60s

# heal:
#   default: desired             # desired: restart unless stopped on purpose | always | never (alert only)
#   crash_loop: { restarts: 5, within: 2m }   # this many heals within 2m -> give up and alert
#   backoff: { initial: 1s, max: 60s }        # between heal attempts of one container

# After a reboot or daemon restart:
# recovery:
#   grace: 10s                   # wait for Docker's own restarts first
#   ready_timeout: 120s          # how long a started container may take to become ready
#   running_for: 5s              # running this long counts as started
#   concurrency: 8               # containers started at once
#   cluster_timeout: 120s        # k3d clusters it started: how long until nodes and pods are ready

# Per container (name) or compose project/service; heal defaults to heal.default.
# services:
#   myproject/web:
#     heal: always
#     on_unhealthy: alert        # or restart: restart it when a check fails (crash-loop limit applies)
#     checks:
#       - http: { url: "http://127.0.0.1:8080/health", status: 200, body_contains: ok }
#         interval: 30s          # defaults: interval 30s, timeout 5s, failures 3, successes 1
#       - tcp: { host: 127.0.0.1, port: 6379 }
#       - docker: true           # the container's own HEALTHCHECK

# alerts:
#   for: 0s                      # how long a problem lasts before the alert fires
#   repeat: 4h                   # reminder while it lasts; 0 = never
#   channels:                    # name defaults to the type (then type-2, type-3, ...)
#     - type: ntfy
#       url: https://ntfy.sh/my-topic
#       token: \${NTFY_TOKEN:-}
#     - type: webhook
#       url: https://hooks.example/upkeep
#       secret: \${UPKEEP_WEBHOOK_SECRET}
#     - { type: slack, url: "\${SLACK_WEBHOOK_URL}" }
#     - { type: email, host: smtp.example, port: 587, user: alerts, password: "\${SMTP_PASSWORD}",
#         from: upkeep@example, to: [ops@example] }
#     - type: alertmanager         # re-sent every 60s while firing; silence: hold host=HOST during maintenance
#       url: http://alertmanager.example:9093
#       silence: true

# Dead-man's switch: GET this URL every interval.
# heartbeat: { url: "https://hc-ping.com/your-uuid", interval: 60s }

# How long the timeline (upkeep timeline) keeps its records; 1d..3650d, pruned daily.
# timeline:
#   retention: 90d

# preflight:
#   block: false                 # true: \`upkeep preflight --hook\` stops apt when something will not come back
`;
