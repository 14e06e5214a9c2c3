//! The command line: raw arguments → validated settings → one command. Every command has
//! `--help` with an example.
//!
//! May use everything; nothing depends on it but `main`.

pub mod graph;
pub mod partnersim;
pub mod solve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{self, Application};

/// The read-only shared data folder (OSM extracts, benchmark instances): `ANTAR_SHARED_DIR`,
/// else `../shared` beside the crate.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("ANTAR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}
use crate::config::Settings;

/// antar: dispatcher for medicine and meal delivery to the poor.
#[derive(Debug, Parser)]
#[command(name = "antar", version, about, long_about = None)]
pub struct Cli {
    /// Settings file (default: ./antar.toml when present).
    #[arg(long, global = true, env = "ANTAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Database selection shared by commands.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// Database URL: sqlite://FILE (default sqlite://antar.db) or postgres://…
    #[arg(long = "database", env = "ANTAR_DATABASE_URL")]
    pub database: Option<String>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service.
    #[command(
        after_help = "Example:\n  antar serve --listen 127.0.0.1:8080 --database sqlite://antar.db"
    )]
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ANTAR_LISTEN")]
        listen: Option<String>,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply database migrations and exit.
    #[command(
        after_help = "Example:\n  antar migrate --database postgres://postgres@127.0.0.1/antar"
    )]
    Migrate {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Road graphs: import OpenStreetMap extracts, routes, matrices, benchmarks.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Solve one routing instance (Solomon, VRPLIB or antar JSON) and print the solution as JSON.
    Solve(solve::SolveArgs),
    /// Run a benchmark set (Solomon, CVRP X, the domain-scale day) against best-known solutions.
    Bench(solve::BenchArgs),
    /// Import records from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the effective settings (secrets masked).
    #[command(after_help = "Example:\n  ANTAR_LISTEN=0.0.0.0:80 antar config")]
    Config,
    /// Run a simulated ride-hailing partner that speaks antar's webhook contract.
    PartnerSim(Box<partnersim::PartnerSimArgs>),
    /// Play a whole day end to end: antar on embedded defaults with the fixture scenario
    /// (2 hospital pharmacies, 12 kitchens, ~300 elders, a day's prescriptions) and two
    /// simulated partners, on a fast clock; then print the day's figures.
    #[command(
        after_help = "Examples:\n  antar demo                 # the day in about 100 s, then figures\n  antar demo --serve         # then keep serving on 127.0.0.1:8080\n  antar demo --speed 120     # slower, to watch\n  antar demo --prepare run/ --database sqlite://run/antar.db --date 2031-03-04   # load only (scripts/fault-kill9.sh)"
    )]
    Demo(DemoArgs),
    /// Check a played day against what a crash must never break (final states, one offer at
    /// a time, nothing lost, no duplicate offers); prints PASS/FAIL per invariant, exits 1 on
    /// any FAIL.
    #[command(
        after_help = "Example:\n  antar check-day --database sqlite://run/antar.db --date 2031-03-04"
    )]
    CheckDay(CheckDayArgs),
}

/// `antar check-day` options.
#[derive(Debug, clap::Args)]
pub struct CheckDayArgs {
    /// Local date of the day to check.
    #[arg(long)]
    pub date: chrono::NaiveDate,
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// `antar demo` options.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 480.0)]
    pub speed: f64,
    /// Local date to play (default: today; Monday when today is a Sunday).
    #[arg(long)]
    pub date: Option<chrono::NaiveDate>,
    /// Keep serving after the day (the dashboard and API stay up until ctrl-c).
    #[arg(long)]
    pub serve: bool,
    /// Address to listen on (default with --serve: the configured one, else any free port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Database (default: a fresh sqlite://antar-demo.db, replaced on every run).
    #[arg(long = "database")]
    pub database: Option<String>,
    /// Seed for the simulated partners' decisions.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only load the day into --database (under ANTAR_CLOCK), write DIR/partners.json and
    /// DIR/pins.csv for `antar partner-sim`, and exit.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["serve", "prepared"])]
    pub prepare: Option<PathBuf>,
    /// With --prepare: partner i's webhook listens on 127.0.0.1:(BASE + i).
    #[arg(long, default_value_t = 18101)]
    pub partner_port_base: u16,
    /// Play the rest of a day loaded with --prepare in --database, with the partners as their
    /// own processes: the service plus the simulated staff, on ANTAR_CLOCK. Safe to kill -9
    /// and start again.
    #[arg(long, requires = "database", conflicts_with = "serve")]
    pub prepared: bool,
}

/// Import commands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import prescriptions from a CSV file (the same columns as the API's CSV import). Without
    /// --partial, one bad row means nothing is stored. Prints one line per row.
    #[command(
        after_help = "Example:\n  antar import prescriptions resep.csv --site 01a2…-pharmacy-id\n\nColumns: site_id, patient_name, phone, address, landmark, lat, lon, location, medical_record_no, parcels,\ncold_chain_max_minutes, controlled, priority, ready_at, deliver_by, clinical_notes, external_ref"
    )]
    Prescriptions {
        /// The CSV file.
        file: PathBuf,
        /// Pharmacy site for rows without a site_id column value.
        #[arg(long)]
        site: Option<uuid::Uuid>,
        /// Store the good rows even if some are rejected.
        #[arg(long)]
        partial: bool,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import the village list: Kemendagri code (kecamatan 35.10.05, desa 35.10.05.2003),
    /// name, optional kind and centroid. A code already stored is updated.
    #[command(
        after_help = "Example:\n  antar import villages wilayah.csv --dry-run\n\nColumns (any order, Indonesian or English headers): kode/code, nama/name, jenis/kind, lat, lon or lokasi"
    )]
    Villages(ListImportArgs),
    /// Import recipients from a hospital or Dinas Sosial list (CSV or XLSX). People already
    /// stored are recognised by NIK, No. RM, or name + village (the last is held for review).
    #[command(
        after_help = "Example:\n  antar import recipients daftar-lansia.xlsx --dry-run --map \"No. KTP=nik\"\n\nColumns are found by their headers: nama, nik, no_rm, alamat, patokan, desa/kelurahan, kode desa,\nkecamatan, telepon/hp, lokasi/koordinat or lat/lon, catatan (and their English names)."
    )]
    Recipients(ListImportArgs),
    /// Import meal enrolments: each row a person (recognised or created as by `import
    /// recipients`) with kitchen (dapur), days (hari), diet notes, start and end.
    #[command(
        after_help = "Example:\n  antar import enrolments rantang-kasih.csv --kitchen \"Warung Bu Sri\" --partial\n\nDays: \"Senin-Jumat\", \"Senin, Rabu, Jumat\", \"setiap hari\" (default every day); start defaults to today.\nMeal times (\"jam makan\", \"waktu antar\"): \"10.30-12.30\", several separated by commas (default lunch 10:30-12:30)."
    )]
    Enrolments {
        /// The list.
        #[command(flatten)]
        args: ListImportArgs,
        /// Kitchen (site id or name) for rows without a dapur column value.
        #[arg(long)]
        kitchen: Option<String>,
    },
}

/// Options shared by the list imports (villages, recipients, enrolments).
#[derive(Debug, clap::Args)]
pub struct ListImportArgs {
    /// The file: CSV (comma or semicolon) or XLSX (first sheet).
    pub file: PathBuf,
    /// Show what would be created, updated, held or rejected; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Store the good rows even if some are rejected.
    #[arg(long)]
    pub partial: bool,
    /// Override the column guess: COLUMN=FIELD, COLUMN a header or a letter, FIELD one of name,
    /// nik, medical_record_no, phone, address, landmark, village, village_code, kecamatan,
    /// location, lat, lon, kitchen, days, diet_notes, start, end, notes, code, kind (or ignore).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Admin commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first admin API token; it is printed once, as the last line of output.
    #[command(after_help = "Example:\n  antar admin bootstrap --database sqlite://antar.db")]
    Bootstrap {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
}

fn settings(
    config: Option<&std::path::Path>,
    db: Option<&DbArgs>,
    listen: Option<String>,
) -> anyhow::Result<Settings> {
    let mut s = Settings::load(config, std::env::vars())?;
    if let Some(url) = db.and_then(|d| d.database.clone()) {
        s.database.url = url;
    }
    if let Some(l) = listen {
        s.server.listen = l;
    }
    Ok(s)
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve { listen, db } => {
            let s = settings(config, Some(&db), listen)?;
            let app = Application::build(&s).await?;
            app.run_until_stopped(app::shutdown_signal()).await
        }
        Command::Migrate { db } => {
            let s = settings(config, Some(&db), None)?;
            app::open_store(&s).await?.close().await;
            println!(
                "migrations applied to {}",
                crate::config::mask_url_password(&s.database.url)
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Bootstrap { db }) => {
            let s = settings(config, Some(&db), None)?;
            let store = app::open_store(&s).await?;
            let dispatch = app::build_dispatch(&s, store.clone())?;
            let token = dispatch
                .bootstrap_admin()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.close().await;
            println!("Admin token created. Store it now: it is shown only once.");
            println!("{token}");
            Ok(())
        }
        Command::Graph(cmd) => tokio::task::spawn_blocking(move || graph::run(cmd)).await?,
        Command::Solve(args) => tokio::task::spawn_blocking(move || solve::run_solve(args)).await?,
        Command::Bench(args) => tokio::task::spawn_blocking(move || solve::run_bench(args)).await?,
        Command::Import(ImportCommand::Prescriptions {
            file,
            site,
            partial,
            db,
        }) => {
            let s = settings(config, Some(&db), None)?;
            import_prescriptions(&s, &file, site, partial).await
        }
        Command::Import(ImportCommand::Villages(args)) => {
            let s = settings(config, Some(&args.db), None)?;
            import_list(&s, &args, ListKind::Villages, None).await
        }
        Command::Import(ImportCommand::Recipients(args)) => {
            let s = settings(config, Some(&args.db), None)?;
            import_list(&s, &args, ListKind::Recipients, None).await
        }
        Command::Import(ImportCommand::Enrolments { args, kitchen }) => {
            let s = settings(config, Some(&args.db), None)?;
            import_list(&s, &args, ListKind::Enrolments, kitchen).await
        }
        Command::Config => {
            let s = settings(config, None, None)?;
            print!("{}", s.masked_toml());
            Ok(())
        }
        Command::PartnerSim(args) => partnersim::run(*args).await,
        Command::Demo(args) => demo(config, args).await,
        Command::CheckDay(args) => check_day(config, args).await,
    }
}

async fn import_prescriptions(
    s: &Settings,
    file: &std::path::Path,
    site: Option<uuid::Uuid>,
    partial: bool,
) -> anyhow::Result<()> {
    use crate::domain::{Principal, Role, SiteId, TokenId};
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut rows = crate::api::prescriptions::parse_prescriptions_csv(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {}: {}", file.display(), e.field, e.reason))?;
    for (_, row) in &mut rows {
        if let Ok(np) = row
            && np.site_id.is_none()
        {
            np.site_id = site.map(SiteId);
        }
    }
    let store = app::open_store(s).await?;
    let dispatch = app::build_dispatch(s, store.clone())?;
    let operator = Principal {
        token_id: TokenId::new(),
        name: "cli-import".into(),
        role: Role::Admin,
        site_id: None,
        partner_id: None,
    };
    let report = dispatch
        .import_prescriptions(&operator, rows, partial)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store.close().await;
    for (line, errors) in &report.rejected {
        for e in errors {
            println!(
                "{}:{line}: rejected: {}: {}",
                file.display(),
                e.field,
                e.reason
            );
        }
    }
    for (line, id, pin) in &report.created {
        match pin {
            Some(pin) => println!(
                "{}:{line}: created order {id} (handover PIN {pin})",
                file.display()
            ),
            None => println!("{}:{line}: created order {id}", file.display()),
        }
    }
    if report.committed {
        println!(
            "{} created, {} rejected",
            report.created.len(),
            report.rejected.len()
        );
        Ok(())
    } else {
        anyhow::bail!(
            "nothing stored: {} rows rejected (use --partial to store the good rows)",
            report.rejected.len()
        )
    }
}

async fn check_day(config: Option<&std::path::Path>, args: CheckDayArgs) -> anyhow::Result<()> {
    let s = settings(config, Some(&args.db), None)?;
    let tz = crate::domain::time::parse_tz(&s.region.time_zone).ok_or_else(|| {
        anyhow::anyhow!(
            "region.time_zone {:?} is not an IANA zone",
            s.region.time_zone
        )
    })?;
    let store = app::open_store(&s).await?;
    let verdict = crate::demo::check::check_day(&store, args.date, tz).await;
    store.close().await;
    let verdict = verdict?;
    println!("{verdict}");
    if verdict.passed() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} of {} checks failed",
            verdict.checks.iter().filter(|c| !c.pass).count(),
            verdict.checks.len()
        )
    }
}

async fn demo(config: Option<&std::path::Path>, args: DemoArgs) -> anyhow::Result<()> {
    let mut s = settings(config, None, None)?;
    if args.prepare.is_some() || args.prepared {
        // Both work on a database the caller keeps: never the throwaway default.
        s.database.url = args
            .database
            .clone()
            .ok_or_else(|| anyhow::anyhow!("--prepare and --prepared need --database"))?;
        if let Some(l) = &args.listen {
            s.server.listen = l.clone();
        }
        let opts = crate::demo::run::DemoOptions {
            speed: args.speed,
            date: args.date,
            seed: args.seed,
            ..Default::default()
        };
        return match &args.prepare {
            Some(dir) => crate::demo::run::prepare(s, opts, dir, args.partner_port_base)
                .await
                .map(|_| ()),
            None => crate::demo::run::run_prepared(s, opts).await,
        };
    }
    match args.database {
        Some(url) => s.database.url = url,
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("antar-demo.db{suffix}"));
            }
            s.database.url = "sqlite://antar-demo.db".into();
        }
    }
    match (args.listen, args.serve) {
        (Some(l), _) => s.server.listen = l,
        (None, false) => s.server.listen = "127.0.0.1:0".into(),
        (None, true) => {}
    }
    let opts = crate::demo::run::DemoOptions {
        speed: args.speed,
        date: args.date,
        serve: args.serve,
        seed: args.seed,
        ..Default::default()
    };
    if !(1.0..=10_000.0).contains(&opts.speed) {
        anyhow::bail!("--speed must be between 1 and 10000, got {}", opts.speed);
    }
    crate::demo::run::run(s, opts).await.map(|_| ())
}

#[derive(Debug, Clone, Copy)]
enum ListKind {
    Villages,
    Recipients,
    Enrolments,
}

fn cli_operator() -> crate::domain::Principal {
    use crate::domain::{Principal, Role, TokenId};
    Principal {
        token_id: TokenId::new(),
        name: "cli-import".into(),
        role: Role::Admin,
        site_id: None,
        partner_id: None,
    }
}

/// `file:row:` for a reason that starts with `row N: `, else `file: `.
fn file_place(file: &str, reason: &str) -> String {
    if let Some(rest) = reason.strip_prefix("row ")
        && let Some((n, msg)) = rest.split_once(": ")
        && n.parse::<usize>().is_ok()
    {
        return format!("{file}:{n}: {msg}");
    }
    format!("{file}: {reason}")
}

async fn import_list(
    s: &Settings,
    args: &ListImportArgs,
    kind: ListKind,
    kitchen: Option<String>,
) -> anyhow::Result<()> {
    use crate::dispatch::DispatchError;
    use crate::dispatch::onboarding::{ImportOptions, RowAction};
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let overrides = args
        .map
        .iter()
        .map(|m| crate::domain::sheet::Override::parse(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--map {e}"))?;
    let opts = ImportOptions {
        dry_run: args.dry_run,
        partial: args.partial,
        overrides,
        kitchen,
    };
    let store = app::open_store(s).await?;
    let dispatch = app::build_dispatch(s, store.clone())?;
    let who = cli_operator();
    let result = match kind {
        ListKind::Villages => dispatch.import_villages(&who, &bytes, &opts).await,
        ListKind::Recipients => dispatch.import_recipients(&who, &bytes, &opts).await,
        ListKind::Enrolments => dispatch.import_enrolments(&who, &bytes, &opts).await,
    };
    store.close().await;
    let report = match result {
        Ok(r) => r,
        Err(DispatchError::Invalid(errors)) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| file_place(&file, &e.reason))
                .collect();
            anyhow::bail!("{}", lines.join("\n"))
        }
        Err(e) => anyhow::bail!("{file}: {e}"),
    };
    let columns: Vec<String> = report
        .columns
        .iter()
        .map(|c| match c.field {
            Some(f) => format!("{} {:?} -> {f}", c.column, c.header),
            None => format!("{} {:?} (ignored)", c.column, c.header),
        })
        .collect();
    println!(
        "{file}: header on row {}; columns: {}",
        report.header_row,
        columns.join(", ")
    );
    // Rows of an import that was not stored say what would have happened.
    let would = if report.committed { "" } else { "would be " };
    for r in &report.rows {
        let at = format!("{file}:{}", r.row);
        let what = match (&r.recipient_id, &r.code) {
            (Some(id), _) => format!("recipient {id}"),
            (None, Some(code)) => format!("area {code}"),
            _ => String::new(),
        };
        match r.action {
            RowAction::Rejected => {}
            RowAction::Held => {}
            a => {
                let mut line = format!("{at}: {would}{} {what}", a.as_str());
                if let Some(m) = &r.matched {
                    line.push_str(&format!(" (matched {} by {})", m.name, m.key.as_str()));
                }
                if let Some((id, ea)) = &r.enrolment {
                    line.push_str(&format!("; enrolment {id} {would}{}", ea.as_str()));
                }
                println!("{line}");
            }
        }
        for i in &r.issues {
            let col = if i.column.is_empty() {
                String::new()
            } else {
                format!(":{}", i.column)
            };
            println!(
                "{at}{col}: {would}{}: {}: {}",
                r.action.as_str(),
                i.field,
                i.reason
            );
        }
        for w in &r.warnings {
            let col = if w.column.is_empty() {
                String::new()
            } else {
                format!(":{}", w.column)
            };
            println!("{at}{col}: warning: {}: {}", w.field, w.reason);
        }
    }
    let summary = format!(
        "{} created, {} updated, {} held, {} rejected",
        report.count(RowAction::Created),
        report.count(RowAction::Updated),
        report.count(RowAction::Held),
        report.count(RowAction::Rejected)
    );
    if report.dry_run {
        println!("dry run, nothing stored: {summary}");
        Ok(())
    } else if report.committed {
        println!("{summary}");
        Ok(())
    } else {
        anyhow::bail!(
            "nothing stored: {} rows rejected (use --partial to store the good rows); {summary}",
            report.count(RowAction::Rejected)
        )
    }
}
