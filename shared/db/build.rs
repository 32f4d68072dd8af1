//! Rebuilds the crate when a migration is added, changed or removed: `sqlx::migrate!` embeds the
//! files it finds at compile time, and cargo does not otherwise watch the directory.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
