use super::output::{json, number, word};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quarterdeck_app::kpis::{CreateKpi, KpiQuery};
use quarterdeck_app::measurements::{BatchFormat, parse_csv};
use quarterdeck_app::sources::CreateSource;
use quarterdeck_app::views::{KpiEdgeView as KpiEdge, KpiView as Kpi};
use quarterdeck_app::{App, all_pages};
use quarterdeck_domain::ids::KpiId;
use quarterdeck_domain::kpi::definition::{Aggregation, Cadence, KpiDirection, Nature};
use quarterdeck_domain::kpi::period::Granularity;
use quarterdeck_domain::kpi::source::SourceKind;
use std::collections::HashMap;
use std::path::PathBuf;

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
        /// sum (default), mean, min, max, last, count, p50, p90, p95, p99; left out with --formula.
        #[arg(long, value_parser = word::<Aggregation>)]
        aggregation: Option<Aggregation>,
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
        /// Seconds between pulls (60 to 604800).
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

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    match cmd {
        Cmd::Import { file, kpi, json: as_json } => {
            let reader = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let size = reader.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = ProgressBar::new(size)
                .with_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} reading rows  [{elapsed}]")?);
            let points = parse_csv(bar.wrap_read(reader), usize::MAX)
                .map_err(|e| anyhow::anyhow!("{}: {e} (line {})", file.display(), e.row + 1))?;
            bar.finish_and_clear();
            let bar = ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
                "{spinner} checking and writing {msg} points in one transaction [{elapsed}]",
            )?);
            bar.set_message(points.len().to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            // One transaction: a bad row anywhere in the file leaves nothing written.
            let report = app
                .ingest(points, kpi.as_deref(), BatchFormat::Csv, usize::MAX)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            bar.finish_and_clear();
            if as_json {
                return json(&report);
            }
            println!(
                "Imported {}: {} new, {} replaced, {} unchanged points",
                file.display(),
                report.inserted,
                report.replaced,
                report.unchanged
            );
            if !report.objectives_paused.is_empty() {
                println!(
                    "Guardrails paused {} objective(s): {}",
                    report.objectives_paused.len(),
                    report.objectives_paused.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                );
            }
        }
        Cmd::List { unit, missing_counterweight, json: as_json } => {
            let query = KpiQuery { unit, missing_counterweight, ..Default::default() };
            let all = all_pages(|page| app.list_kpis(query.clone(), page)).await?;
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
            let input = CreateKpi {
                key,
                unit,
                unit_of_measure: uom,
                aggregation,
                cadence,
                direction,
                target,
                range_low,
                range_high,
                formula,
                guardrail: guardrail_threshold.is_some(),
                guardrail_threshold,
                north_star,
                nature,
                ..CreateKpi::named(&name)
            };
            let k = app.create_kpi(input).await?;
            if as_json {
                return json(&k);
            }
            print_kpi(&k);
        }
        Cmd::Tree { kpi } => {
            let tree = app.kpi_tree(&kpi).await?;
            let by_id: HashMap<KpiId, &Kpi> = tree.nodes.iter().map(|k| (k.id, k)).collect();
            if let Some(root) = tree.nodes.first() {
                walk(root.id, 0, "", &by_id, &tree.edges, &mut Vec::new());
            }
        }
        Cmd::SourceAdd { kpi, sql_url, query, http_url, value_path, header, interval, json: as_json } => {
            let (header_name, header_value) = match header {
                Some(h) => {
                    let (n, v) = h.split_once(':').context("--header is NAME:VALUE")?;
                    (Some(n.trim().to_owned()), Some(v.trim().to_owned()))
                }
                None => (None, None),
            };
            let input = match (sql_url, http_url) {
                (Some(url), None) => CreateSource { query, ..CreateSource::new(&kpi, SourceKind::Sql, &url) },
                (None, Some(url)) => CreateSource {
                    value_path,
                    header_name,
                    header_value,
                    ..CreateSource::new(&kpi, SourceKind::Http, &url)
                },
                _ => bail!("give --sql-url with --query, or --http-url with --value-path"),
            };
            let source = app.create_data_source(CreateSource { interval_seconds: interval, ..input }).await?;
            if as_json {
                return json(&source);
            }
            println!(
                "Data source {} feeds {kpi} from {} every {} s (run it now: quarterdeck kpi source-run {})",
                source.id, source.target, source.interval_seconds, source.id
            );
        }
        Cmd::SourceRun { id } => {
            let result = app.run_data_source(id).await?;
            match &result.error {
                None => println!(
                    "Pulled {} points into the KPI ({} new, {} replaced)",
                    result.points,
                    result.ingest.as_ref().map_or(0, |i| i.inserted),
                    result.ingest.as_ref().map_or(0, |i| i.replaced)
                ),
                Some(e) => bail!("the pull failed: {e}"),
            }
        }
        Cmd::Show { kpi, granularity, periods, json: as_json } => {
            let granularity =
                granularity.as_deref().map(|g| g.parse::<Granularity>()).transpose().map_err(anyhow::Error::msg)?;
            let (k, values) = app.list_periods(&kpi, granularity, None, None, None, Some(periods)).await?;
            if as_json {
                return json(&serde_json::json!({"kpi": k, "periods": values}));
            }
            print_kpi(&k);
            for p in &values {
                println!(
                    "    {:<12} {:>12}  ({} points)",
                    p.label,
                    p.value.map(number).unwrap_or_else(|| "—".into()),
                    p.count
                );
            }
        }
    }
    Ok(())
}

fn walk(id: KpiId, depth: usize, via: &str, by_id: &HashMap<KpiId, &Kpi>, edges: &[KpiEdge], seen: &mut Vec<KpiId>) {
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
