use super::output::{json, number, word};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quarterdeck_domain::kpi::definition::{
    Aggregation, Cadence, KpiDirection, Nature, Target, key_from_name, parse_key,
};
use quarterdeck_domain::kpi::formula::Formula;
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_store::kpi::{DataSourceSpec, NewDataSource, NewKpi};
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
    /// Add a KPI to the metric dictionary.
    Create {
        #[arg(long)]
        name: String,
        /// The key formulas use; derived from the name when left out.
        #[arg(long)]
        key: Option<String>,
        /// Unit slug or id.
        #[arg(long)]
        unit: Option<String>,
        /// Unit of measure ("%", "days").
        #[arg(long, default_value = "")]
        uom: String,
        /// sum, mean, min, max, last, count, p50, p90, p95, p99.
        #[arg(long, default_value = "sum", value_parser = word::<Aggregation>)]
        aggregation: Aggregation,
        /// daily, weekly or monthly.
        #[arg(long, default_value = "daily", value_parser = word::<Cadence>)]
        cadence: Cadence,
        /// higher_is_better, lower_is_better or within_range.
        #[arg(long, default_value = "higher_is_better", value_parser = word::<KpiDirection>)]
        direction: KpiDirection,
        #[arg(long, allow_negative_numbers = true)]
        target: Option<f64>,
        #[arg(long, allow_negative_numbers = true)]
        range_low: Option<f64>,
        #[arg(long, allow_negative_numbers = true)]
        range_high: Option<f64>,
        /// Makes a derived KPI: "won / qualified * 100".
        #[arg(long)]
        formula: Option<String>,
        /// Makes it a guardrail with this threshold.
        #[arg(long, allow_negative_numbers = true)]
        guardrail_threshold: Option<f64>,
        #[arg(long)]
        north_star: bool,
        /// speed, volume, quality, cost or other.
        #[arg(long, default_value = "other", value_parser = word::<Nature>)]
        nature: Nature,
        #[arg(long)]
        json: bool,
    },
    /// Show the driver tree below a KPI (usually the North Star).
    Tree { kpi: String },
    /// Feed a KPI from a SQL query (postgres://, mysql://, mariadb://, sqlite:) or an HTTP JSON endpoint.
    SourceAdd {
        kpi: String,
        /// Connection string of the database the query runs on.
        #[arg(long, conflicts_with = "http_url", requires = "query")]
        sql_url: Option<String>,
        /// A query returning (timestamp, value[, segment]) rows.
        #[arg(long)]
        query: Option<String>,
        #[arg(long, requires = "value_path")]
        http_url: Option<String>,
        /// JSON path to a number or to an array of points ($.data.series).
        #[arg(long)]
        value_path: Option<String>,
        /// A header to send, as NAME:VALUE ("Authorization:Bearer …").
        #[arg(long)]
        header: Option<String>,
        /// Seconds between pulls.
        #[arg(long, default_value_t = 3600)]
        interval: i64,
        #[arg(long)]
        json: bool,
    },
    /// Run a data source now and show what it pulled or why it failed.
    SourceRun {
        /// The data source's id (see the JSON of source-add, or GET /api/v1/data-sources).
        id: quarterdeck_domain::ids::DataSourceId,
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
        Cmd::Create {
            name,
            key,
            unit,
            uom,
            aggregation,
            cadence,
            direction,
            target,
            range_low,
            range_high,
            formula,
            guardrail_threshold,
            north_star,
            nature,
            json: as_json,
        } => {
            let key = match key {
                Some(k) => parse_key(&k)?,
                None => key_from_name(&name).context("no key can be made from this name; give --key")?,
            };
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
            let formula =
                formula.as_deref().map(Formula::parse).transpose().map_err(|e| anyhow::anyhow!("--formula: {e}"))?;
            let aggregation = if formula.is_some() { Aggregation::Formula } else { aggregation };
            let name = quarterdeck_domain::text::Name::parse("name", &name)?.into_string();
            let new = NewKpi {
                unit_id,
                unit_of_measure: quarterdeck_domain::text::UnitOfMeasure::parse("uom", &uom)?.into_string(),
                cadence,
                target: Target::new(direction, target, range_low, range_high)?,
                target_set_on: target.or(range_low).map(|_| chrono::Utc::now().date_naive()),
                formula,
                guardrail: guardrail_threshold.is_some(),
                guardrail_threshold,
                north_star,
                nature,
                ..NewKpi::basic(&key, &name, aggregation, direction)
            };
            let k = store.create_kpi(new).await?;
            if as_json {
                return json(&k);
            }
            print_kpi(&k);
        }
        Cmd::Tree { kpi } => {
            let root = find(store, &kpi).await?;
            let (nodes, edges) = store.kpi_tree(root.id, 500).await?;
            let by_id: std::collections::HashMap<_, _> = nodes.iter().map(|k| (k.id, k)).collect();
            fn walk(
                id: quarterdeck_domain::ids::KpiId,
                depth: usize,
                via: &str,
                by_id: &std::collections::HashMap<quarterdeck_domain::ids::KpiId, &Kpi>,
                edges: &[quarterdeck_store::kpi::KpiEdge],
                seen: &mut Vec<quarterdeck_domain::ids::KpiId>,
            ) {
                let Some(k) = by_id.get(&id) else { return };
                let value = k.current_value.map(number).unwrap_or_else(|| "—".into());
                let status = k.current_status.map(|s| s.to_string()).unwrap_or_else(|| "no data".into());
                println!("{}{via}{} = {value} {} ({status})", "    ".repeat(depth), k.key, k.unit_of_measure);
                if seen.contains(&id) {
                    return;
                }
                seen.push(id);
                for e in edges.iter().filter(|e| e.parent_id == id) {
                    let via = format!("↳ [{} influence, {} confidence, {}] ", e.influence, e.confidence, e.sign);
                    walk(e.child_id, depth + 1, &via, by_id, edges, seen);
                }
            }
            walk(root.id, 0, "", &by_id, &edges, &mut Vec::new());
        }
        Cmd::SourceAdd { kpi, sql_url, query, http_url, value_path, header, interval, json: as_json } => {
            let k = find(store, &kpi).await?;
            let spec = match (sql_url, http_url) {
                (Some(url), None) => DataSourceSpec::Sql { url, query: query.unwrap_or_default() },
                (None, Some(url)) => {
                    let header = header
                        .map(|h| {
                            h.split_once(':')
                                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                                .context("--header is NAME:VALUE")
                        })
                        .transpose()?;
                    DataSourceSpec::Http {
                        url,
                        header,
                        value_path: value_path.unwrap_or_default(),
                        timestamp_field: None,
                        value_field: None,
                        segment_field: None,
                    }
                }
                _ => bail!("give --sql-url with --query, or --http-url with --value-path"),
            };
            if !(60..=7 * 24 * 3600).contains(&interval) {
                bail!("--interval is between 60 and 604800 seconds");
            }
            let source = store
                .create_data_source(NewDataSource {
                    kpi_id: k.id,
                    spec,
                    interval_seconds: interval,
                    timeout_seconds: 30,
                    enabled: true,
                })
                .await?;
            if as_json {
                return json(&source);
            }
            println!(
                "Data source {} feeds {} from {} every {} s (run it now: quarterdeck kpi source-run {})",
                source.id, k.key, source.target, source.interval_seconds, source.id
            );
        }
        Cmd::SourceRun { id } => {
            let report = quarterdeck_jobs::run_now(store.as_ref(), id).await?;
            match &report.error {
                None => println!(
                    "Pulled {} points into the KPI ({} new, {} replaced)",
                    report.points,
                    report.ingest.as_ref().map_or(0, |i| i.inserted),
                    report.ingest.as_ref().map_or(0, |i| i.replaced)
                ),
                Some(e) => bail!("the pull failed: {e}"),
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
