//! The `cadfeat` command-line tool.

fn main() {
    println!("cadfeat");
}
