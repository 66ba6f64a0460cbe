use super::output::json;
use quarterdeck_app::App;
use quarterdeck_app::org::UpdateSettings;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// Set the organisation's time zone (an IANA name such as Europe/Oslo or UTC). Its
    /// calendar days are "today", the days KPI periods count and the days check-ins count
    /// for; every stored period value is recomputed.
    #[arg(long, value_name = "NAME")]
    time_zone: Option<String>,
    /// Let requests without credentials read everything (a wall display on a trusted
    /// network), or not; they never write.
    #[arg(long, value_name = "BOOL")]
    anonymous_read: Option<bool>,
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let settings = if cmd.time_zone.is_some() || cmd.anonymous_read.is_some() {
        let version = app.settings().await?.version;
        let input = UpdateSettings { version: None, time_zone: cmd.time_zone, anonymous_read: cmd.anonymous_read };
        app.update_settings(version, input).await?
    } else {
        app.settings().await?
    };
    if cmd.json {
        return json(&settings);
    }
    println!("time zone       {}", settings.time_zone);
    println!("anonymous read  {}", if settings.anonymous_read { "on" } else { "off" });
    Ok(())
}
