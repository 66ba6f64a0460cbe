//! `quarterdeck user …` and `quarterdeck token …`: accounts on the server's database, made by
//! the operator (the first admin comes from here).

use super::output::json;
use anyhow::{Context, bail};
use quarterdeck_app::App;
use quarterdeck_app::accounts::{AddUser, CreateToken, DEFAULT_TOKEN_DAYS, UpdateUser};
use quarterdeck_domain::access::Role;
use quarterdeck_domain::ids::{PersonId, TokenId};
use std::io::{BufRead, IsTerminal};

#[derive(Debug, clap::Subcommand)]
pub enum UserCmd {
    /// Add a user who signs in with e-mail and password (prompted, or read from stdin).
    ///
    /// The first admin: `quarterdeck user add --admin you@example.com`.
    Add {
        email: String,
        /// The name shown in the audit trail (default: the part of the address before '@').
        #[arg(long)]
        name: Option<String>,
        /// Shorthand for --role admin.
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// admin, lead, member or viewer.
        #[arg(long, default_value = "member", value_parser = super::output::word::<Role>)]
        role: Role,
        /// The id of the person of the organisation this user is (their key results, their unit).
        #[arg(long, value_name = "PERSON_ID")]
        person: Option<PersonId>,
        /// Read the password from standard input (one line) instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// No password: the user signs in with single sign-on only.
        #[arg(long, conflicts_with = "password_stdin")]
        no_password: bool,
        #[arg(long)]
        json: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role, deactivate or reactivate them, or set a new password.
    Set {
        /// The user's e-mail address or id.
        user: String,
        #[arg(long, value_parser = super::output::word::<Role>)]
        role: Option<Role>,
        /// Deactivate: no more sign-in, tokens stop working, history stays.
        #[arg(long, conflicts_with = "activate")]
        deactivate: bool,
        #[arg(long)]
        activate: bool,
        /// Set a new password (prompted, or read from stdin with --password-stdin).
        #[arg(long)]
        password: bool,
        #[arg(long, requires = "password")]
        password_stdin: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCmd {
    /// Create an API token for a user; its secret is printed once.
    ///
    /// Example: `quarterdeck token create --user ada@example.com --scope kpi:push --kpi mrr --name warehouse`
    Create {
        /// The user (e-mail or id) the token acts for.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// read, check-in, kpi:push, write, admin (repeat or separate with commas).
        #[arg(long = "scope", value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// The KPIs (keys or ids) a kpi:push scope is limited to.
        #[arg(long = "kpi", value_delimiter = ',')]
        kpis: Vec<String>,
        /// Days until it expires.
        #[arg(long, default_value_t = DEFAULT_TOKEN_DAYS)]
        expires_in_days: u32,
        #[arg(long)]
        json: bool,
    },
    /// List a user's tokens (never their secrets).
    List {
        #[arg(long)]
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    Revoke { id: TokenId },
}

/// A password from standard input (one line), or prompted twice on a terminal.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password (10 characters or more): ")?;
    let again = rpassword::prompt_password("Again: ")?;
    if first != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

pub async fn run_user(cmd: UserCmd, app: &App) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Add { email, name, admin, role, person, password_stdin, no_password, json: as_json } => {
            let password = if no_password { None } else { Some(read_password(password_stdin)?) };
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let role = if admin { Role::Admin } else { role };
            let user = app.add_user(AddUser { email, name, role, person_id: person, password }).await?;
            if as_json {
                return json(&user);
            }
            println!("added {} ({}) as {}", user.email, user.name, user.role);
            if user.role == Role::Admin {
                println!(
                    "make an API token with: quarterdeck token create --user {} --scope admin --name scripts",
                    user.email
                );
            }
            Ok(())
        }
        UserCmd::List { json: as_json } => {
            let users = quarterdeck_app::all_pages(|page| app.list_users(page)).await?;
            if as_json {
                return json(&users);
            }
            for u in users {
                let state = if u.active { "" } else { "  (deactivated)" };
                println!("{:<36}  {:<7}  {}  {}{state}", u.id, u.role.as_str(), u.email, u.name);
            }
            Ok(())
        }
        UserCmd::Set { user, role, deactivate, activate, password, password_stdin } => {
            let current = app.find_user(&user).await?;
            let active = match (deactivate, activate) {
                (true, _) => Some(false),
                (_, true) => Some(true),
                _ => None,
            };
            let password = if password { Some(read_password(password_stdin)?) } else { None };
            let input = UpdateUser { role, active, password, ..UpdateUser::default() };
            let user = app.update_user(current.id, current.version, input).await?;
            println!("{} is {}{}", user.email, user.role, if user.active { "" } else { ", deactivated" });
            Ok(())
        }
    }
}

pub async fn run_token(cmd: TokenCmd, app: &App) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { user, name, scopes, kpis, expires_in_days, json: as_json } => {
            let made = app
                .create_token(CreateToken {
                    name,
                    scopes,
                    kpis,
                    expires_in_days: Some(expires_in_days),
                    user: Some(user),
                })
                .await?;
            if as_json {
                return json(&made);
            }
            let scopes: Vec<_> = made.token.scopes.iter().map(|s| s.as_str()).collect();
            eprintln!(
                "token {} ({}) for scopes {}, expires {}; shown once, keep it safe:",
                made.token.id,
                made.token.name,
                scopes.join(","),
                made.token.expires_at.map(|t| t.date_naive().to_string()).unwrap_or_else(|| "never".into())
            );
            println!("{}", made.secret);
            Ok(())
        }
        TokenCmd::List { user, json: as_json } => {
            let tokens = app.list_tokens(Some(&user)).await?;
            if as_json {
                return json(&tokens);
            }
            for t in tokens {
                let scopes: Vec<_> = t.scopes.iter().map(|s| s.as_str()).collect();
                let used = t.last_used_at.map(|u| u.format("%Y-%m-%d %H:%M").to_string()).unwrap_or("never".into());
                println!("{}  {:<8}  {:<20}  {:<24}  last used {used}", t.id, t.state, t.name, scopes.join(","));
            }
            Ok(())
        }
        TokenCmd::Revoke { id } => {
            let t = app.revoke_token(id).await?;
            println!("revoked {} ({})", t.id, t.name);
            Ok(())
        }
    }
}
