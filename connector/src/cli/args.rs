//! The `connector` command line as clap reads it: the commands, cloudflared's global flags and
//! their `TUNNEL_*` variables, and `connector tunnel …` unfolded into the same actions as
//! `connector run` and `connector ingress`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "connector",
    version,
    about = "The Tether connector: outbound tunnel sessions to the edge"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags taken before or after any command (`connector tunnel --config F run` as well as
/// `connector run --config F`), with cloudflared's names and environment variables.
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Path to tunnel.yml (a cloudflared config.yml works too). Default: ./tunnel.yml, else
    /// /etc/tether/tunnel.yml, else where cloudflared looks for config.yml (~/.cloudflared,
    /// /etc/cloudflared, /usr/local/etc/cloudflared).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// trace, debug, info, warn, error or fatal (overrides tunnel.yml's `loglevel` and RUST_LOG).
    #[arg(
        long,
        global = true,
        alias = "log-level",
        env = "TUNNEL_LOGLEVEL",
        value_name = "LEVEL"
    )]
    pub loglevel: Option<String>,
    /// Also append the log to this file (overrides tunnel.yml's `logfile`).
    #[arg(long, global = true, env = "TUNNEL_LOGFILE", value_name = "FILE", value_parser = any_path())]
    pub logfile: Option<PathBuf>,
    /// Also append the log to DIR/connector.log (overrides tunnel.yml's `log-directory`).
    #[arg(long, global = true, env = "TUNNEL_LOGDIRECTORY", value_name = "DIR", value_parser = any_path())]
    pub log_directory: Option<PathBuf>,
    /// Where /metrics, /ready and /healthz are served, IP:PORT or localhost:PORT (overrides
    /// tunnel.yml's `metrics`); `tunnel ready` asks here.
    #[arg(long, global = true, env = "TUNNEL_METRICS", value_name = "ADDR")]
    pub metrics: Option<String>,
    /// Accepted for cloudflared's command lines: Tether never updates itself.
    #[arg(long, global = true, env = "NO_AUTOUPDATE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_autoupdate: bool,
    /// Accepted for cloudflared's command lines and ignored: sessions are always HTTP/2 over a
    /// TLS WebSocket.
    #[arg(
        long,
        global = true,
        env = "TUNNEL_TRANSPORT_PROTOCOL",
        value_name = "auto|http2|quic"
    )]
    pub protocol: Option<String>,
    /// Accepted for cloudflared's command lines and ignored: the edge's address decides.
    #[arg(
        long,
        global = true,
        env = "TUNNEL_EDGE_IP_VERSION",
        value_name = "4|6|auto"
    )]
    pub edge_ip_version: Option<String>,
    /// Accepted for cloudflared's command lines and ignored: you choose the edges yourself.
    #[arg(long, global = true, env = "TUNNEL_REGION")]
    pub region: Option<String>,
}

/// A path that may be empty (`TUNNEL_LOGFILE=` in a compose file), dropped later as unset;
/// clap's own path parser refuses an empty one.
fn any_path() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

/// Where the configuration is looked for without --config: Tether's places, then cloudflared's
/// (cloudflared's config/configuration.go), so `connector tunnel run` finds a migrated file where
/// `cloudflared tunnel run` found it.
fn default_config_paths() -> Vec<PathBuf> {
    let mut paths = vec![
        PathBuf::from("tunnel.yml"),
        PathBuf::from("/etc/tether/tunnel.yml"),
    ];
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        for d in [".cloudflared", ".cloudflare-warp", "cloudflare-warp"] {
            dirs.push(home.join(d));
        }
    }
    dirs.extend(["/etc/cloudflared", "/usr/local/etc/cloudflared"].map(PathBuf::from));
    for dir in dirs {
        paths.push(dir.join("config.yml"));
        paths.push(dir.join("config.yaml"));
    }
    paths
}

impl GlobalArgs {
    /// `--config`, else the first default place that holds a file (else `tunnel.yml`, whose
    /// absence the caller reports).
    pub fn config_path(&self) -> PathBuf {
        if let Some(path) = &self.config {
            return path.clone();
        }
        default_config_paths()
            .into_iter()
            .find(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("tunnel.yml"))
    }

    /// An empty variable (`TUNNEL_METRICS=` in a compose file) counts as unset, as in cloudflared.
    pub fn without_empty_values(mut self) -> Self {
        for value in [
            &mut self.loglevel,
            &mut self.metrics,
            &mut self.protocol,
            &mut self.edge_ip_version,
            &mut self.region,
        ] {
            if value.as_deref() == Some("") {
                *value = None;
            }
        }
        for path in [&mut self.logfile, &mut self.log_directory] {
            if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                *path = None;
            }
        }
        self
    }

    /// These flags without `--logfile` and `--log-directory`: for commands that write no log.
    pub fn without_log_files(mut self) -> Self {
        self.logfile = None;
        self.log_directory = None;
        self
    }

    /// What the ignored cloudflared flags get: one warning each.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (flag, set, why) in [
            (
                "--protocol",
                self.protocol.is_some(),
                "sessions are always HTTP/2 over a TLS WebSocket",
            ),
            (
                "--edge-ip-version",
                self.edge_ip_version.is_some(),
                "the edge's address decides",
            ),
            (
                "--region",
                self.region.is_some(),
                "you choose the edges yourself",
            ),
        ] {
            if set {
                warnings.push(format!(
                    "{flag} is a cloudflared flag that Tether does not use ({why}); it is ignored"
                ));
            }
        }
        warnings
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the tunnel.
    Run(RunArgs),
    /// cloudflared's spelling: `tunnel run [NAME]`, `tunnel ingress …`, `tunnel ready`; with no
    /// command, runs the tunnel.
    Tunnel(TunnelArgs),
    /// Redeem an enrollment token (`edge tunnel token NAME`): make this site's key and write
    /// its credentials file.
    Enroll(crate::enroll::Enroll),
    /// Print the run token of a credentials file, for `connector run --token` or TUNNEL_TOKEN.
    Token {
        #[arg(long)]
        credentials_file: PathBuf,
    },
    /// Check ingress rules.
    #[command(subcommand)]
    Ingress(IngressCommand),
    /// Reach a TCP service through the edge from this machine (no tunnel.yml needed).
    #[command(subcommand)]
    Access(AccessCommand),
    /// Run the connector as a system service.
    #[command(subcommand)]
    Service(crate::service::ServiceCommand),
    /// Print a shell completion script, e.g. `connector completions bash >
    /// /etc/bash_completion.d/connector`.
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (connector.1, connector-run.1, …) into DIR, for packagers.
    #[command(hide = true)]
    Manpages { dir: PathBuf },
}

#[derive(clap::Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// Run with a run token instead of tunnel.yml's credentials file (`connector token` prints
    /// one). Without it: --token-file, else TUNNEL_TOKEN, else TUNNEL_TOKEN_FILE (a flag beats
    /// a variable, as in cloudflared; an empty variable counts as unset).
    #[arg(long)]
    pub token: Option<String>,
    /// Read the run token from this file (as `service install TOKEN` writes it).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Send every request to this origin (one catch-all ingress rule, e.g.
    /// http://localhost:8080) instead of reading tunnel.yml.
    #[arg(long)]
    pub url: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct TunnelArgs {
    #[command(subcommand)]
    pub command: Option<TunnelCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum TunnelCommand {
    /// Run the tunnel of the credentials; a NAME (name or id) naming another gets a warning, as
    /// in cloudflared.
    Run {
        #[command(flatten)]
        run: RunArgs,
        name: Option<String>,
    },
    /// Check ingress rules.
    #[command(subcommand)]
    Ingress(IngressCommand),
    /// Exit 0 when the running connector's /ready answers 200 (for container health checks);
    /// asks --metrics, TUNNEL_METRICS or tunnel.yml's `metrics`, else ports 20241-20245.
    Ready,
}

/// What a command line asks of the tunnel, once `connector tunnel …` is unfolded.
pub enum Action {
    Run(RunArgs, Option<String>),
    Ingress(IngressCommand),
    Ready,
}

impl Command {
    /// The tunnel action of `run`, `ingress` and their `tunnel …` spellings. The run flags may
    /// stand before `run` as well as after it (`connector tunnel --token T run`, as cloudflared
    /// takes them); after it they win.
    pub fn action(self) -> Option<Action> {
        match self {
            Command::Run(run) => Some(Action::Run(run, None)),
            Command::Ingress(cmd) => Some(Action::Ingress(cmd)),
            Command::Tunnel(TunnelArgs {
                command,
                run: outer,
            }) => Some(match command {
                None => Action::Run(outer, None),
                Some(TunnelCommand::Run { run, name }) => Action::Run(run.or(outer), name),
                Some(TunnelCommand::Ingress(cmd)) => Action::Ingress(cmd),
                Some(TunnelCommand::Ready) => Action::Ready,
            }),
            _ => None,
        }
    }
}

impl RunArgs {
    /// These flags, each filled from `outer` where not given here (the token and its file as
    /// one).
    fn or(self, outer: RunArgs) -> RunArgs {
        let given_here = self.token.is_some() || self.token_file.is_some();
        RunArgs {
            token: self.token.or(if given_here { None } else { outer.token }),
            token_file: self
                .token_file
                .or(if given_here { None } else { outer.token_file }),
            url: self.url.or(outer.url),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Carry TCP to HOSTNAME's service: from a local port (--url) or stdin/stdout (ssh ProxyCommand).
    #[command(visible_aliases = ["ssh", "rdp", "smb"])]
    Tcp(crate::access::AccessTcp),
}

#[derive(Subcommand, Debug)]
pub enum IngressCommand {
    /// Validate the ingress rules of the config.
    Validate,
    /// Print the rule that matches URL.
    Rule { url: String },
}
