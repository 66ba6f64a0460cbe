//! `sqlx::migrate!` embeds the migration files at compile time; without this, adding a file
//! to a migrations directory would not rebuild the crate, and a local build would run
//! without it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
