use super::output::{json, number};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_store::kpi::{Kpi, KpiFilter};
use quarterdeck_store::{PageRequest, Store, StoreError};
use quarterdeck_web::measurements::{ResolveError, parse_csv_from, resolve};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Import measurements from a CSV file with a header row: kpi,at,value[,segment]
    /// (or at,value[,segment] with --kpi). Every row is checked before anything is written;
    /// re-running an import is safe (a point with the same KPI, time and segment replaces itself).
    Import {
        file: PathBuf,
        /// The KPI (key or id) when the file has no kpi column.
        #[arg(long)]
        kpi: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List KPIs with their current value and health.
    List {
        /// Unit slug or id.
        #[arg(long)]
        unit: Option<String>,
        /// Only speed/volume KPIs without a quality counterweight.
        #[arg(long)]
        missing_counterweight: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one KPI and its recent period values.
    Show {
        /// Key or id.
        kpi: String,
        /// day, week, month or quarter (default: the KPI's cadence).
        #[arg(long)]
        granularity: Option<String>,
        #[arg(long, default_value_t = 12)]
        periods: u32,
        #[arg(long)]
        json: bool,
    },
}

/// Points written per transaction during a file import.
const CHUNK: usize = 10_000;

pub async fn run(cmd: Cmd, store: &Arc<dyn Store>) -> anyhow::Result<()> {
    match cmd {
        Cmd::Import { file, kpi, json: as_json } => {
            let default_kpi = match kpi.as_deref() {
                Some(k) => Some(find(store, k).await?.id),
                None => None,
            };
            let reader = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let size = reader.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = ProgressBar::new(size)
                .with_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} checking rows  [{elapsed}]")?);
            let points = parse_csv_from(bar.wrap_read(reader), usize::MAX)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            bar.finish_and_clear();
            let checked = resolve(store.as_ref(), points, default_kpi, chrono::Utc::now(), usize::MAX).await.map_err(
                |e| match e {
                    ResolveError::Row(r) => anyhow::anyhow!("{}: {r}", file.display()),
                    ResolveError::Store(s) => anyhow::Error::from(s),
                },
            )?;
            let bar = ProgressBar::new(checked.len() as u64)
                .with_style(ProgressStyle::with_template("{bar:40} {pos}/{len} points  {per_sec}  [{elapsed}]")?);
            let (mut inserted, mut replaced, mut unchanged) = (0, 0, 0);
            let mut paused = Vec::new();
            for chunk in checked.chunks(CHUNK) {
                let report = store.ingest(chunk.to_vec()).await?;
                inserted += report.inserted;
                replaced += report.replaced;
                unchanged += report.unchanged;
                paused.extend(report.objectives_paused);
                bar.inc(chunk.len() as u64);
            }
            bar.finish_and_clear();
            if as_json {
                return json(
                    &serde_json::json!({"inserted": inserted, "replaced": replaced, "unchanged": unchanged, "objectives_paused": paused}),
                );
            }
            println!("Imported {}: {inserted} new, {replaced} replaced, {unchanged} unchanged points", file.display());
            if !paused.is_empty() {
                println!(
                    "Guardrails paused {} objective(s): {}",
                    paused.len(),
                    paused.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                );
            }
        }
        Cmd::List { unit, missing_counterweight, json: as_json } => {
            let unit_id = match unit.as_deref() {
                None => None,
                Some(raw) => Some(match raw.parse() {
                    Ok(id) => id,
                    Err(_) => {
                        store
                            .find_unit_by_slug(raw)
                            .await
                            .map_err(|_| anyhow::anyhow!("no unit with slug or id '{raw}'"))?
                            .id
                    }
                }),
            };
            let filter = KpiFilter { unit_id, missing_counterweight, ..Default::default() };
            let mut all = Vec::new();
            let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
            loop {
                let got = store.list_kpis(filter.clone(), page.clone()).await?;
                all.extend(got.items);
                match got.next_cursor {
                    Some(c) => page = PageRequest::parse(Some(PageRequest::MAX_LIMIT), Some(&c))?,
                    None => break,
                }
            }
            if as_json {
                return json(&all);
            }
            if all.is_empty() {
                println!("No KPIs.");
            }
            for k in &all {
                print_kpi(k);
            }
        }
        Cmd::Show { kpi, granularity, periods, json: as_json } => {
            let k = find(store, &kpi).await?;
            let g = match granularity.as_deref() {
                Some(g) => g.parse().map_err(anyhow::Error::msg)?,
                None => Granularity::of_cadence(k.cadence),
            };
            if !(1..=1000).contains(&periods) {
                bail!("--periods must be between 1 and 1000");
            }
            let values = store.list_periods(k.id, g, None, None, None, periods).await?;
            if as_json {
                return json(&serde_json::json!({"kpi": k, "periods": values}));
            }
            print_kpi(&k);
            for p in &values {
                let period = quarterdeck_domain::kpi::period::Period { granularity: g, start: p.start };
                println!(
                    "    {:<12} {:>12}  ({} points)",
                    period.label(),
                    p.value.map(number).unwrap_or_else(|| "—".into()),
                    p.count
                );
            }
        }
    }
    Ok(())
}

async fn find(store: &Arc<dyn Store>, raw: &str) -> anyhow::Result<Kpi> {
    let found = match raw.parse() {
        Ok(id) => store.get_kpi(id).await,
        Err(_) => store.find_kpi_by_key(raw).await,
    };
    found.map_err(|e| match e {
        StoreError::NotFound { .. } => anyhow::anyhow!("no KPI with key or id '{raw}' (see: quarterdeck kpi list)"),
        e => e.into(),
    })
}

fn print_kpi(k: &Kpi) {
    let value = k.current_value.map(number).unwrap_or_else(|| "—".into());
    let status = k.current_status.map(|s| s.to_string()).unwrap_or_else(|| "no data".into());
    let flags = [(k.north_star, " [north star]"), (k.guardrail, " [guardrail]"), (k.guardrail_breached, " BREACHED")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, s)| *s)
        .collect::<String>();
    println!("{:<32} {:>12} {:<8} {:<9} {}{flags}", k.key, value, k.unit_of_measure, status, k.name);
}
