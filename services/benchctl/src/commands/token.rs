//! `benchctl token create|list|revoke`.

use benchhub_proto::pb;

use crate::cli::TokenCommand;
use crate::client::{Clients, explain};
use crate::render;

fn role_from_name(name: &str) -> pb::Role {
    match name {
        "admin" => pb::Role::Admin,
        "runner" => pb::Role::Runner,
        _ => pb::Role::Reader,
    }
}

fn role_name(value: i32) -> String {
    pb::Role::try_from(value)
        .map(|role| {
            role.as_str_name()
                .trim_start_matches("ROLE_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| "?".to_owned())
}

/// Runs the command.
pub async fn run(clients: &Clients, command: TokenCommand) -> anyhow::Result<()> {
    let mut client = clients.tokens().await?;
    match command {
        TokenCommand::Create { name, role, tenant } => {
            let response = client
                .create_token(pb::CreateTokenRequest {
                    name,
                    role: role_from_name(&role) as i32,
                    tenant_id: tenant,
                })
                .await
                .map_err(|status| explain(&status))?
                .into_inner();
            let token = response.token.unwrap_or_default();
            println!(
                "created token {} ({}, role {}, tenant {})",
                token.id,
                token.name,
                role_name(token.role),
                token.tenant_id
            );
            println!("secret (shown once, store it now): {}", response.secret);
        }
        TokenCommand::List { all } => {
            let mut table = render::table(&[
                "id",
                "name",
                "role",
                "tenant",
                "prefix",
                "created",
                "last used",
                "revoked",
            ]);
            let mut page_token = String::new();
            loop {
                let response = client
                    .list_tokens(pb::ListTokensRequest {
                        page_size: 200,
                        page_token: page_token.clone(),
                        include_revoked: all,
                        tenant_id: String::new(),
                    })
                    .await
                    .map_err(|status| explain(&status))?
                    .into_inner();
                for token in &response.tokens {
                    table.add_row(vec![
                        token.id.clone(),
                        token.name.clone(),
                        role_name(token.role),
                        token.tenant_id.clone(),
                        format!("{}…", token.prefix),
                        render::time(token.created_at.as_ref()),
                        render::time(token.last_used_at.as_ref()),
                        render::time(token.revoked_at.as_ref()),
                    ]);
                }
                if response.next_page_token.is_empty() {
                    break;
                }
                page_token = response.next_page_token;
            }
            println!("{table}");
        }
        TokenCommand::Revoke { id } => {
            let response = client
                .revoke_token(pb::RevokeTokenRequest { id })
                .await
                .map_err(|status| explain(&status))?
                .into_inner();
            let token = response.token.unwrap_or_default();
            println!("revoked token {} ({})", token.id, token.name);
        }
    }
    Ok(())
}
