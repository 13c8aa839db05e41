// Generated from the hub's GET /openapi.json by src/sdk/gen/generate.ts. Do not edit:
// run `node bin/run-ts.js src/sdk/gen/generate.ts` (test/sdk/openapi-types.test.ts checks it).

/** Every operation of the hub's HTTP API by operationId. */
export interface Operations {
  /** Liveness probe */
  health: {
    method: "GET";
    path: "/health";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      status: "ok";
      started_at: string;
    };
  };
  /** Readiness probe (database reachable) */
  ready: {
    method: "GET";
    path: "/ready";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      status: "ready";
      database: string;
    };
  };
  /** Documentation of a problem code */
  getProblemDoc: {
    method: "GET";
    path: "/problems/{code}";
    params: {
      code: string;
    };
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Register an agent and receive its first API key (shown once) */
  registerAgent: {
    method: "POST";
    path: "/api/agents/register";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** Lower-case letters, digits, '-' and '_' */
      handle: string;
      displayName?: string;
      webhookUrl?: string;
    };
    response: {
      agent: {
        id: string;
        kind: string;
        handle: string;
        display_name: string;
        webhook_url: string | null;
        status: string;
        created_at: string;
      };
      key: {
        id: string;
        /** First characters of the secret, to tell keys apart */
        prefix: string;
        scope: "read" | "write" | "admin";
        label: string;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
        /** Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt) */
        dpop_jkt: string | null;
      };
      /** The secret key, shown this once only */
      apiKey: string;
    };
  };
  /** Who am I: the caller's principal and key */
  getMe: {
    method: "GET";
    path: "/api/v1/me";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      principal: {
        id: string;
        kind: string;
        handle: string;
        display_name: string;
        webhook_url: string | null;
        status: string;
        created_at: string;
      };
      key: {
        id: string;
        /** First characters of the secret, to tell keys apart */
        prefix: string;
        scope: "read" | "write" | "admin";
        label: string;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
        /** Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt) */
        dpop_jkt: string | null;
      };
    };
  };
  /** List my API keys */
  listKeys: {
    method: "GET";
    path: "/api/v1/keys";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        id: string;
        /** First characters of the secret, to tell keys apart */
        prefix: string;
        scope: "read" | "write" | "admin";
        label: string;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
        /** Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt) */
        dpop_jkt: string | null;
      }>;
    };
  };
  /** Create an API key (the secret is shown once) */
  createKey: {
    method: "POST";
    path: "/api/v1/keys";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      scope: "read" | "write" | "admin";
      label?: string;
      /** Bind the key to a DPoP key (RFC 7638 SHA-256 thumbprint): it then works only as `Authorization: DPoP <key>` with a proof */
      dpop_jkt?: string;
    };
    response: {
      key: {
        id: string;
        /** First characters of the secret, to tell keys apart */
        prefix: string;
        scope: "read" | "write" | "admin";
        label: string;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
        /** Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt) */
        dpop_jkt: string | null;
      };
      secret: string;
    };
  };
  /** Revoke an API key */
  revokeKey: {
    method: "DELETE";
    path: "/api/v1/keys/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      key: {
        id: string;
        /** First characters of the secret, to tell keys apart */
        prefix: string;
        scope: "read" | "write" | "admin";
        label: string;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
        /** Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt) */
        dpop_jkt: string | null;
      };
    };
  };
  /** My balances per asset and account kind */
  listBalances: {
    method: "GET";
    path: "/api/v1/balances";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        id: string;
        owner_id: string;
        kind: string;
        asset: string;
        /** Decimal amount as a string, in the asset's major unit */
        balance: string;
        balance_minor: string;
        available: string;
        available_minor: string;
        pending_debits_minor: string;
        pending_credits_minor: string;
      }>;
    };
  };
  /** My ledger history, newest first */
  listTransfers: {
    method: "GET";
    path: "/api/v1/transfers";
    params: Record<string, never>;
    query: {
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        kind: string;
        state: string;
        debit_account_id: string;
        credit_account_id: string;
        money: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
        };
        code: string;
        pending_id: string | null;
        timeout_at: string | null;
        batch_id: string | null;
        metadata: Record<string, unknown>;
        created_at: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** Credit your balance with an ERC-20 transfer to the hub, proven by its tx hash */
  depositOnchain: {
    method: "POST";
    path: "/api/v1/deposits/onchain";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      tx_hash: string;
      /** The sending address */
      from: string;
      /** Decimal amount as a string, in the asset's major unit */
      amount: string;
      /** CAIP-2; default the hub's */
      chain?: string;
    };
    response: unknown;
  };
  /** Create a principal and its first key (operator) */
  adminCreatePrincipal: {
    method: "POST";
    path: "/api/v1/admin/principals";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      kind: "human" | "agent" | "machine" | "provider";
      /** Lower-case letters, digits, '-' and '_' */
      handle: string;
      display_name?: string;
      scope?: "read" | "write" | "admin";
    };
    response: {
      principal: {
        id: string;
        kind: string;
        handle: string;
        display_name: string;
        webhook_url: string | null;
        status: string;
        created_at: string;
      };
      key: {
        id: string;
        /** First characters of the secret, to tell keys apart */
        prefix: string;
        scope: "read" | "write" | "admin";
        label: string;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
        /** Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt) */
        dpop_jkt: string | null;
      };
      secret: string;
    };
  };
  /** Record money arriving for a principal (operator) */
  adminDeposit: {
    method: "POST";
    path: "/api/v1/admin/deposits";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      id: string;
      owner_id: string;
      /** Decimal amount as a string, in the asset's major unit */
      amount: string;
      asset: string;
      code?: string;
      metadata?: Record<string, unknown>;
    };
    response: {
      result: string;
      transfer: {
        id: string;
        kind: string;
        state: string;
        debit_account_id: string;
        credit_account_id: string;
        money: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
        };
        code: string;
        pending_id: string | null;
        timeout_at: string | null;
        batch_id: string | null;
        metadata: Record<string, unknown>;
        created_at: string;
      };
    };
  };
  /** Record money leaving for a principal (operator) */
  adminWithdraw: {
    method: "POST";
    path: "/api/v1/admin/withdrawals";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      id: string;
      owner_id: string;
      /** Decimal amount as a string, in the asset's major unit */
      amount: string;
      asset: string;
      code?: string;
      metadata?: Record<string, unknown>;
    };
    response: {
      result: string;
      transfer: {
        id: string;
        kind: string;
        state: string;
        debit_account_id: string;
        credit_account_id: string;
        money: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
        };
        code: string;
        pending_id: string | null;
        timeout_at: string | null;
        batch_id: string | null;
        metadata: Record<string, unknown>;
        created_at: string;
      };
    };
  };
  /** Create a batch of ledger transfers (operator) */
  adminCreateTransfers: {
    method: "POST";
    path: "/api/v1/admin/transfers";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** All transfers commit or none does */
      linked?: boolean;
      transfers: Array<{
        op: "transfer";
        id: string;
        debit_account_id: string;
        credit_account_id: string;
        /** Decimal amount as a string, in the asset's major unit */
        amount: string;
        asset: string;
        code: string;
        metadata?: Record<string, unknown>;
      } | {
        op: "hold";
        id: string;
        debit_account_id: string;
        credit_account_id: string;
        /** Decimal amount as a string, in the asset's major unit */
        amount: string;
        asset: string;
        code: string;
        timeout_ms?: number;
        metadata?: Record<string, unknown>;
      } | {
        op: "post";
        id: string;
        pending_id: string;
        /** Decimal amount as a string, in the asset's major unit */
        amount?: string;
        code?: string;
        metadata?: Record<string, unknown>;
      } | {
        op: "void";
        id: string;
        pending_id: string;
        code?: string;
        metadata?: Record<string, unknown>;
      }>;
    };
    response: {
      results: Array<{
        id: string;
        result: string;
        field?: string;
        transfer?: {
          id: string;
          kind: string;
          state: string;
          debit_account_id: string;
          credit_account_id: string;
          money: {
            /** Decimal amount as a string, in the asset's major unit */
            amount: string;
            amount_minor: string;
            asset: string;
          };
          code: string;
          pending_id: string | null;
          timeout_at: string | null;
          batch_id: string | null;
          metadata: Record<string, unknown>;
          created_at: string;
        };
      }>;
    };
  };
  /** Verify the whole ledger (operator) */
  adminVerifyLedger: {
    method: "GET";
    path: "/api/v1/admin/ledger/verify";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      ok: boolean;
      sums: Array<{
        asset: string;
        sum_minor: string;
      }>;
      accounts_checked: number;
      entries_checked: number;
      failures: Array<{
        check: string;
        subject: string;
        detail: string;
      }>;
    };
  };
  /** Every principal's webhook deliveries, newest first (operator) */
  adminListWebhookDeliveries: {
    method: "GET";
    path: "/api/v1/admin/webhooks/deliveries";
    params: Record<string, never>;
    query: {
      status?: "pending" | "succeeded" | "dead";
      endpoint_id?: string;
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        /** The webhook-id header: the same on every attempt */
        message_id: string;
        endpoint_id: string;
        type: string;
        status: string;
        generation: number;
        attempts: number;
        next_attempt_at: string | null;
        last_status_code: number | null;
        last_error: string | null;
        delivered_at: string | null;
        created_at: string;
        attempts_list?: Array<{
          attempt: number;
          generation: number;
          at: string;
          status_code: number | null;
          error: string | null;
          duration_ms: number;
        }>;
        owner_id: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** Send any principal's delivery again (operator; same webhook-id, new attempts) */
  adminRedeliverWebhook: {
    method: "POST";
    path: "/api/v1/admin/webhooks/deliveries/{deliveryId}/redeliver";
    params: {
      deliveryId: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      /** The webhook-id header: the same on every attempt */
      message_id: string;
      endpoint_id: string;
      type: string;
      status: string;
      generation: number;
      attempts: number;
      next_attempt_at: string | null;
      last_status_code: number | null;
      last_error: string | null;
      delivered_at: string | null;
      created_at: string;
      attempts_list?: Array<{
        attempt: number;
        generation: number;
        at: string;
        status_code: number | null;
        error: string | null;
        duration_ms: number;
      }>;
      owner_id: string;
    };
  };
  /** On-chain escrow releases and refunds by order (operator) */
  adminListEscrowActions: {
    method: "GET";
    path: "/api/v1/admin/escrow-actions";
    params: Record<string, never>;
    query: {
      state?: "pending" | "broadcast" | "done" | "failed";
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        order_id: string;
        action: "release" | "refund";
        /** CAIP-2 */
        chain: string;
        escrow_address: string;
        order_ref: string;
        state: "pending" | "broadcast" | "done" | "failed";
        tx_hash: string | null;
        error_code: string | null;
        error: string | null;
        /** Transactions broadcast for it */
        attempts: number;
        actor_id: string;
        reason: string;
        created_at: string;
        updated_at: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** Retry a failed on-chain escrow release or refund (operator) */
  adminRetryEscrowAction: {
    method: "POST";
    path: "/api/v1/admin/escrow-actions/{orderId}/retry";
    params: {
      orderId: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order_id: string;
      action: "release" | "refund";
      /** CAIP-2 */
      chain: string;
      escrow_address: string;
      order_ref: string;
      state: "pending" | "broadcast" | "done" | "failed";
      tx_hash: string | null;
      error_code: string | null;
      error: string | null;
      /** Transactions broadcast for it */
      attempts: number;
      actor_id: string;
      reason: string;
      created_at: string;
      updated_at: string;
    };
  };
  /** x402 settlements and their reconciliation, by order or job (operator) */
  adminListX402Settlements: {
    method: "GET";
    path: "/api/v1/admin/x402-settlements";
    params: Record<string, never>;
    query: {
      state?: "pending" | "settled" | "released";
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        subject: "order" | "pipeline";
        /** The order's id, or the pipeline job's */
        id: string;
        buyer_id: string;
        state: "pending" | "settled" | "released";
        /** CAIP-2 */
        network: string;
        token: string;
        pay_to: string;
        /** The EIP-3009 authorization's `from` */
        authorizer: string;
        nonce: string;
        /** From this block time on, an unused authorization can never be used (null: beyond any date) */
        valid_before: string | null;
        /** The same, in Unix seconds */
        valid_before_s: string;
        amount_atomic: string;
        /** The settlement's transaction: booked, or the broadcast's when pending */
        tx_hash: string | null;
        created_at: string;
        updated_at: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** JSON Web Key Set of the receipt issuer (application/jwk-set+json) */
  getJwks: {
    method: "GET";
    path: "/.well-known/jwks.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** PEAC issuer configuration (peac-issuer/0.1) */
  getPeacIssuer: {
    method: "GET";
    path: "/.well-known/peac-issuer.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** PEAC access policy (peac.txt) */
  getPeacTxt: {
    method: "GET";
    path: "/.well-known/peac.txt";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** PEAC access policy (peac.txt) */
  getPeacTxtFallback: {
    method: "GET";
    path: "/peac.txt";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Get a receipt by id */
  getReceipt: {
    method: "GET";
    path: "/peac/receipts/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      profile: string;
      kind: string;
      kid: string;
      /** Compact JWS, verifiable with /.well-known/jwks.json */
      jws: string;
      /** sha256:<hex> of the JWS (PEAC receipt_ref) */
      ref: string;
      prev_id: string | null;
      order_id: string | null;
      payment_id: string | null;
      request_digest: string | null;
      response_digest: string | null;
      created_at: string;
    };
  };
  /** Get the receipt of a payment nonce (AI Market Protocol) */
  getAimpReceipt: {
    method: "GET";
    path: "/ai-market/receipt/{nonce}";
    params: {
      nonce: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      profile: string;
      kind: string;
      kid: string;
      /** Compact JWS, verifiable with /.well-known/jwks.json */
      jws: string;
      /** sha256:<hex> of the JWS (PEAC receipt_ref) */
      ref: string;
      prev_id: string | null;
      order_id: string | null;
      payment_id: string | null;
      request_digest: string | null;
      response_digest: string | null;
      created_at: string;
    };
  };
  /** Verify a receipt issued by this hub (signature, key, typ, times, chain) */
  verifyReceipt: {
    method: "POST";
    path: "/v1/verify";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      receipt: string;
    };
    response: {
      valid: true;
      profile: string;
      kid: string;
      header: Record<string, unknown>;
      payload: Record<string, unknown>;
      chain?: {
        ok: boolean;
        length: number;
      };
    };
  };
  /** List skills (latest versions) */
  listSkills: {
    method: "GET";
    path: "/api/v1/catalog/skills";
    params: Record<string, never>;
    query: {
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        key: string;
        version: string;
        label: string;
        description: string;
        tags: string[];
        operations: unknown[];
        owner_id: string;
        created_at: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** Publish a skill (a capability contract) or a new version of your own skill */
  publishSkill: {
    method: "POST";
    path: "/api/v1/catalog/skills";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      key: string;
      version: string;
      label: string;
      description: string;
      tags?: string[];
      operations: Array<{
        name: string;
        description: string;
        input_schema: Record<string, unknown>;
        output_schema: Record<string, unknown>;
        examples?: Array<{
          input: unknown;
          output?: unknown;
        }>;
      }>;
    };
    response: {
      id: string;
      key: string;
      version: string;
      label: string;
      description: string;
      tags: string[];
      operations: unknown[];
      owner_id: string;
      created_at: string;
    };
  };
  /** Get a skill by key (latest, or ?version=) */
  getSkill: {
    method: "GET";
    path: "/api/v1/catalog/skills/{key}";
    params: {
      key: string;
    };
    query: {
      version?: string;
    };
    body: never;
    response: {
      id: string;
      key: string;
      version: string;
      label: string;
      description: string;
      tags: string[];
      operations: unknown[];
      owner_id: string;
      created_at: string;
    };
  };
  /** List services (latest active versions) with filters (PEAC-governed, receipted) */
  listServices: {
    method: "GET";
    path: "/api/v1/catalog/services";
    params: Record<string, never>;
    query: {
      skill?: string;
      category?: string;
      tag?: string;
      provider?: string;
      rail?: string;
      execution_mode?: "native" | "external-handoff";
      region?: string;
      /** Decimal amount as a string, in the asset's major unit */
      price_min?: string;
      /** Decimal amount as a string, in the asset's major unit */
      price_max?: string;
      asset?: string;
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        name: string;
        version: string;
        ref: string;
        provider_id: string;
        skill_key: string;
        description: string;
        company_name: string;
        execution_mode: string;
        endpoints: unknown[];
        handoff: unknown;
        region: string;
        tags: string[];
        pricing: Record<string, unknown>;
        rails: string[];
        integration_status: string;
        maturity: string;
        p50_latency_ms: number | null;
        success_rate: number | null;
        status: string;
        latest: boolean;
        created_at: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** Publish a service, or a new version of your own service (same name) */
  publishService: {
    method: "POST";
    path: "/api/v1/catalog/services";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      version: string;
      skill_key: string;
      description: string;
      company_name: string;
      execution_mode: "native" | "external-handoff";
      endpoints: Array<{
        url: string;
        method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
        protocols?: string[];
        networks?: string[];
      }>;
      handoff?: {
        label: string;
        url: string;
        contact?: string;
        steps: string[];
      };
      region?: string;
      tags?: string[];
      pricing: {
        model: "fixed" | "per_unit" | "quote-required" | "provider-defined";
        asset: string;
        /** Decimal amount as a string, in the asset's major unit */
        amount?: string;
        unit?: "request" | "kilobyte" | "character" | "item";
        /** Decimal amount as a string, in the asset's major unit */
        amount_per_unit?: string;
        /** Decimal amount as a string, in the asset's major unit */
        minimum?: string;
        notes?: string[];
      };
      rails: string[];
      integration_status?: "live" | "sandbox" | "planned";
      maturity?: "reference" | "beta" | "production";
    };
    response: {
      id: string;
      name: string;
      version: string;
      ref: string;
      provider_id: string;
      skill_key: string;
      description: string;
      company_name: string;
      execution_mode: string;
      endpoints: unknown[];
      handoff: unknown;
      region: string;
      tags: string[];
      pricing: Record<string, unknown>;
      rails: string[];
      integration_status: string;
      maturity: string;
      p50_latency_ms: number | null;
      success_rate: number | null;
      status: string;
      latest: boolean;
      created_at: string;
    };
  };
  /** Get a service by id (any version) */
  getService: {
    method: "GET";
    path: "/api/v1/catalog/services/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      version: string;
      ref: string;
      provider_id: string;
      skill_key: string;
      description: string;
      company_name: string;
      execution_mode: string;
      endpoints: unknown[];
      handoff: unknown;
      region: string;
      tags: string[];
      pricing: Record<string, unknown>;
      rails: string[];
      integration_status: string;
      maturity: string;
      p50_latency_ms: number | null;
      success_rate: number | null;
      status: string;
      latest: boolean;
      created_at: string;
    };
  };
  /** Retire your service (it stays readable for orders that point at it) */
  retireService: {
    method: "POST";
    path: "/api/v1/catalog/services/{id}/retire";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      name: string;
      version: string;
      ref: string;
      provider_id: string;
      skill_key: string;
      description: string;
      company_name: string;
      execution_mode: string;
      endpoints: unknown[];
      handoff: unknown;
      region: string;
      tags: string[];
      pricing: Record<string, unknown>;
      rails: string[];
      integration_status: string;
      maturity: string;
      p50_latency_ms: number | null;
      success_rate: number | null;
      status: string;
      latest: boolean;
      created_at: string;
    };
  };
  /** Runs, success rate, latency p50/p95 and revenue of your service */
  getServiceStats: {
    method: "GET";
    path: "/api/v1/catalog/services/{id}/stats";
    params: {
      id: string;
    };
    query: {
      since?: string;
    };
    body: never;
    response: {
      service: {
        id: string;
        name: string;
        provider_id: string;
      };
      since: string | null;
      generated_at: string;
      runs: {
        total: number;
        succeeded: number;
        failed: number;
        running: number;
      };
      /** succeeded / (succeeded + failed), 4 places; null when none finished */
      success_rate: number | null;
      /** successful runs, nearest-rank percentiles */
      latency_ms: {
        samples: number;
        p50: number | null;
        p95: number | null;
      };
      /** released orders per asset: paid by buyers, the hub's fee, the provider's */
      revenue: Array<{
        asset: string;
        settled_orders: number;
        gross: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
        };
        net: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
        };
      }>;
    };
  };
  /** Search the catalogue; returns ranked quotes with reasons */
  marketSearch: {
    method: "POST";
    path: "/api/v1/market/search";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      query?: string;
      filters?: {
        skill?: string;
        category?: string;
        tag?: string;
        provider?: string;
        rail?: string;
        execution_mode?: "native" | "external-handoff";
        region?: string;
        /** Decimal amount as a string, in the asset's major unit */
        price_min?: string;
        /** Decimal amount as a string, in the asset's major unit */
        price_max?: string;
        asset?: string;
      };
      context?: {
        region?: string;
        skill_keys?: string[];
        budget?: {
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          asset: string;
        };
        max_latency_ms?: number;
        min_trust?: number;
      };
      operation?: string;
      input?: unknown;
      limit?: number;
    };
    response: {
      /** searchId */
      id: string;
      status: "ok" | "no_match";
      quotes: Array<{
        score: number;
        reasons: string[];
        service: {
          id: string;
          name: string;
          version: string;
          ref: string;
          provider_id: string;
          skill_key: string;
          description: string;
          company_name: string;
          execution_mode: string;
          endpoints: unknown[];
          handoff: unknown;
          region: string;
          tags: string[];
          pricing: Record<string, unknown>;
          rails: string[];
          integration_status: string;
          maturity: string;
          p50_latency_ms: number | null;
          success_rate: number | null;
          status: string;
          latest: boolean;
          created_at: string;
        };
        quote: {
          id: string;
          service_id: string;
          service: string;
          skill_key: string;
          operation: string;
          price: {
            amount: string;
            amount_minor: string;
            asset: string;
          };
          units: string;
          input_sha256: string;
          expires_at: string;
          /** The quote signed by the hub (EdDSA, typ agx-quote+jwt) */
          jws: string;
        } | null;
        quote_unavailable?: string;
      }>;
    };
  };
  /** Quote one call of a service (signed by the hub, expires in minutes) */
  createQuote: {
    method: "POST";
    path: "/api/v1/quotes";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      service_id: string;
      operation?: string;
      input?: unknown;
    };
    response: {
      id: string;
      service_id: string;
      service: string;
      skill_key: string;
      operation: string;
      price: {
        amount: string;
        amount_minor: string;
        asset: string;
      };
      units: string;
      input_sha256: string;
      expires_at: string;
      /** The quote signed by the hub (EdDSA, typ agx-quote+jwt) */
      jws: string;
    };
  };
  /** AI Market Protocol discovery document */
  getAiMarketWellKnown: {
    method: "GET";
    path: "/.well-known/ai-market.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Signed capability manifest (Ed25519, 5-field canonical) */
  getAiMarketManifest: {
    method: "GET";
    path: "/ai-market/manifest";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** The catalogue as an MCP tools list */
  getAiMarketMcpTools: {
    method: "GET";
    path: "/ai-market/mcp";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      protocol: "mcp";
      version: string;
      tools: Array<{
        name: string;
        description: string;
        inputSchema: unknown;
      }>;
    };
  };
  /** Price one call for an input size (AI Market Protocol) */
  getAiMarketPrice: {
    method: "GET";
    path: "/ai-market/pricing/{product}/{capability}";
    params: {
      product: string;
      capability: string;
    };
    query: {
      input_size?: number;
    };
    body: never;
    response: {
      product_id: string;
      capability_id: string;
      /** For display; the exact price is price.amount */
      price_usd: number;
      price: {
        amount: string;
        amount_minor: string;
        asset: string;
      };
      quote_id: string;
      expires_at: string;
      jws: string;
    };
  };
  /** Price one call for a concrete input (AI Market Protocol) */
  postAiMarketPrice: {
    method: "POST";
    path: "/ai-market/pricing/{product}/{capability}";
    params: {
      product: string;
      capability: string;
    };
    query: Record<string, never>;
    body: {
      input: unknown;
    };
    response: {
      product_id: string;
      capability_id: string;
      /** For display; the exact price is price.amount */
      price_usd: number;
      price: {
        amount: string;
        amount_minor: string;
        asset: string;
      };
      quote_id: string;
      expires_at: string;
      jws: string;
    };
  };
  /** Natural-language goal → ranked matches and a plan within budget */
  aiMarketDiscover: {
    method: "POST";
    path: "/ai-market/discover";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      query: string;
      budget_usd?: number | string;
      constraints?: {
        max_latency_ms?: number;
      };
      limit?: number;
    };
    response: unknown;
  };
  /** x402 Bazaar list of the paid resources of this hub */
  listDiscoveryResources: {
    method: "GET";
    path: "/discovery/resources";
    params: Record<string, never>;
    query: {
      type?: string;
      limit?: number;
      offset?: number;
      payTo?: string;
      scheme?: string;
      network?: string;
    };
    body: never;
    response: unknown;
  };
  /** Agent-framework plugin manifest pointing at the OpenAPI document */
  getAiPlugin: {
    method: "GET";
    path: "/.well-known/ai-plugin.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** List my orders (as buyer or provider), newest first */
  listOrders: {
    method: "GET";
    path: "/api/v1/market/orders";
    params: Record<string, never>;
    query: {
      status?: "created" | "payment_pending" | "ready" | "executing" | "delivered" | "confirmed" | "handoff" | "disputed" | "failed" | "cancelled";
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      }>;
      next_cursor: string | null;
    };
  };
  /** Create an order from a quote (QUOTE_EXPIRED when stale) */
  createOrder: {
    method: "POST";
    path: "/api/v1/market/orders";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      quote_id?: string;
      service_id?: string;
      operation?: string;
      input?: unknown;
      rail: "not-required" | "prepaid" | "escrow" | "channel" | "offchain-record" | "external" | "vault-stripe" | "x402" | "wdk-usdt-transfer" | "onchain-escrow" | "mpp";
      client_ref?: string;
    };
    response: {
      id: string;
      status: string;
      buyer_id: string;
      provider_id: string;
      service: {
        id: string;
        ref: string;
      };
      skill_key: string;
      operation: string;
      price: {
        amount: string;
        amount_minor: string;
        asset: string;
      };
      fee: {
        amount: string;
        amount_minor: string;
        asset: string;
      };
      rail: string;
      quote_id: string | null;
      client_ref: string | null;
      handoff: Record<string, unknown> | null;
      error: string | null;
      payment: {
        id: string;
        status: string;
        rail: string;
        verification: string;
        hold_id: string | null;
        channel_id: string | null;
      } | null;
      payment_instructions: {
        pay_to: string | null;
        amount: string;
        amount_minor: string;
        asset: string;
        chains: Array<{
          chain: string;
          token: string | null;
          escrow: string | null;
          verified: boolean;
        }>;
        proof: {
          method: string;
          path: string;
          body: unknown;
        };
        sender: string;
        order_ref: string | null;
        payees: string[] | null;
      } | null;
      created_at: string;
      updated_at: string;
    };
  };
  /** Get an order with its payment, audit trail, runs and outcome */
  getOrder: {
    method: "GET";
    path: "/api/v1/market/orders/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Runs of my orders (as buyer or provider), newest first */
  listRuns: {
    method: "GET";
    path: "/api/v1/runs";
    params: Record<string, never>;
    query: {
      order_id?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        order_id: string;
        service_id: string;
        skill_key: string;
        route: string;
        status: string;
        started_at: string;
        finished_at: string | null;
        latency_ms: number | null;
        error: string | null;
      }>;
    };
  };
  /** Create (or return) the payment intent; free orders become ready */
  createPaymentIntent: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/payment-intent";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipt?: string;
    };
  };
  /** Pay the order on its rail (prepaid balance or channel) */
  payOrder: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/payment";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      /** Decimal amount as a string, in the asset's major unit */
      amount?: string;
      channel_id?: string;
    };
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipt?: string;
    };
  };
  /** Lock the price in escrow: the hub's ledger (escrow rail), or prove an on-chain lock {tx_hash, chain, escrow_address?} (onchain-escrow: the lock event is verified over RPC when the hub has the chain's escrow contract, else recorded unverified) */
  lockEscrow: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/payment/escrow-lock";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      /** Decimal amount as a string, in the asset's major unit */
      amount?: string;
      channel_id?: string;
      tx_hash?: string;
      chain?: string;
      escrow_address?: string;
    };
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipt?: string;
    };
  };
  /** Submit a payment proof: `{tx_hash, chain}` (an ERC-20 transfer to the hub, verified over RPC and claimed once, ever) or an attestation (offchain-record, unverified) */
  submitPaymentProof: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/payment-proof";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      proof: Record<string, unknown>;
      /** Decimal amount as a string, in the asset's major unit */
      amount?: string;
    };
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipt?: string;
    };
  };
  /** Run a paid (ready) order; money moves on delivery or failure */
  executeOrder: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/execute";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipts: string[];
      result?: unknown;
    };
  };
  /** Confirm receipt of a delivered order: pays the provider */
  confirmOrder: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/confirm";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipts: string[];
      result?: unknown;
    };
  };
  /** Dispute a delivered order: freezes its payment */
  disputeOrder: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/dispute";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      reason: string;
      evidence?: Array<{
        url?: string;
        sha256?: string;
        note?: string;
      }>;
    };
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipts: string[];
      result?: unknown;
    };
  };
  /** Resolve a dispute for the provider: release the payment (operator) */
  releasePayment: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/payment/release";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipts: string[];
      result?: unknown;
    };
  };
  /** Refund a delivered or disputed order (provider or operator) */
  refundOrder: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/refund";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipts: string[];
      result?: unknown;
    };
  };
  /** Cancel an order before it runs; held money returns */
  cancelOrder: {
    method: "POST";
    path: "/api/v1/market/orders/{id}/cancel";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      order: {
        id: string;
        status: string;
        buyer_id: string;
        provider_id: string;
        service: {
          id: string;
          ref: string;
        };
        skill_key: string;
        operation: string;
        price: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        fee: {
          amount: string;
          amount_minor: string;
          asset: string;
        };
        rail: string;
        quote_id: string | null;
        client_ref: string | null;
        handoff: Record<string, unknown> | null;
        error: string | null;
        payment: {
          id: string;
          status: string;
          rail: string;
          verification: string;
          hold_id: string | null;
          channel_id: string | null;
        } | null;
        payment_instructions: {
          pay_to: string | null;
          amount: string;
          amount_minor: string;
          asset: string;
          chains: Array<{
            chain: string;
            token: string | null;
            escrow: string | null;
            verified: boolean;
          }>;
          proof: {
            method: string;
            path: string;
            body: unknown;
          };
          sender: string;
          order_ref: string | null;
          payees: string[] | null;
        } | null;
        created_at: string;
        updated_at: string;
      };
      receipts: string[];
      result?: unknown;
    };
  };
  /** Invoke a paid capability (402 until paid) */
  invokeCapability: {
    method: "POST";
    path: "/capabilities/{product}/{capability}/invoke";
    params: {
      product: string;
      capability: string;
    };
    query: Record<string, never>;
    body: {
      input: unknown;
    };
    response: unknown;
  };
  /** Invoke a paid capability (402 until paid) */
  invokeCapabilityAlias: {
    method: "POST";
    path: "/ai-market/capabilities/{product}/{capability}/invoke";
    params: {
      product: string;
      capability: string;
    };
    query: Record<string, never>;
    body: {
      input: unknown;
    };
    response: unknown;
  };
  /** Open a payment channel with a deposit from your balance (expires in 24 h) */
  openChannel: {
    method: "POST";
    path: "/ai-market/channel/open";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** Decimal amount as a string, in the asset's major unit */
      deposit: string;
      asset?: string;
    };
    response: unknown;
  };
  /** Close your channel: the unused balance returns to you */
  closeChannel: {
    method: "POST";
    path: "/ai-market/channel/close";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      channel_id: string;
    };
    response: unknown;
  };
  /** My payment channels */
  listChannels: {
    method: "GET";
    path: "/ai-market/channels";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** MCP notification stream (SSE): notifications/tools/list_changed */
  mcpStream: {
    method: "GET";
    path: "/mcp";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Model Context Protocol endpoint (Streamable HTTP, JSON-RPC) */
  mcp: {
    method: "POST";
    path: "/mcp";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** A2A agent card (skills, security, PEAC traceability) */
  getAgentCard: {
    method: "GET";
    path: "/.well-known/agent-card.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** PEAC discovery: receipt kinds, carriers and the issuer configuration */
  getPeacJson: {
    method: "GET";
    path: "/.well-known/peac.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Run a DAG pipeline of paid capability calls with a signed bill of materials */
  runPipeline: {
    method: "POST";
    path: "/ai-market/pipelines";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      channel_id?: string;
      /** Decimal amount as a string, in the asset's major unit */
      budget?: string;
      on_failure?: "stop" | "continue";
      nodes: Array<{
        id: string;
        product_id: string;
        capability_id: string;
        /** The literal input (or the base of fields) */
        input?: unknown;
        input_from?: string | Record<string, string>;
        depends_on?: string[];
      }>;
    };
    response: unknown;
  };
  /** Get a pipeline job: status, progress, steps, and the result once it ended */
  getPipelineJob: {
    method: "GET";
    path: "/ai-market/jobs/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Follow a pipeline job as Server-Sent Events (text/event-stream) */
  streamPipelineJob: {
    method: "GET";
    path: "/ai-market/jobs/{id}/events";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Announce a hub (signed); it is recorded as pending until a crawl verifies it */
  announceFederationPeer: {
    method: "POST";
    path: "/ai-market/v2/federation/announce";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      hub_url: string;
      well_known_url: string;
      capabilities_count: number;
      signer_public_key: string;
      signature: {
        algorithm: "ed25519";
        value: string;
        public_key?: string;
      };
      hub_name?: string;
    };
    response: {
      acknowledged: boolean;
      peer_added: boolean;
      peer_id: string | null;
    };
  };
  /** Known peers with their state and trust score (operators also see pending ones) */
  listFederationPeers: {
    method: "GET";
    path: "/ai-market/v2/federation/peers";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      peers: Array<{
        id: string;
        url: string;
        name: string;
        state: "pending" | "active" | "degraded" | "refused";
        capabilities_count: number;
        trust_score: number;
        last_crawl: string | null;
        last_ok: string | null;
        failures: number;
        signer_public_key: string | null;
        last_error?: string | null;
        next_crawl?: string;
        routing?: {
          configured: boolean;
          via: string | null;
          asset: string;
          bond_usd: string;
        };
      }>;
    };
  };
  /** Crawl one peer now, or every peer that is due (operator) */
  crawlFederationPeers: {
    method: "POST";
    path: "/ai-market/v2/federation/crawl";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      peer_id?: string;
    };
    response: {
      crawled: Array<{
        peer_id: string;
        hub_url: string;
        from: string;
        to: string;
        outcome: string;
        detail: string | null;
        tools_indexed: number;
      }>;
    };
  };
  /** Set this hub's account at a peer (its API key or channel there) and its bond */
  setFederationPeerAccount: {
    method: "PUT";
    path: "/ai-market/v2/federation/peers/{peer_id}/account";
    params: {
      peer_id: string;
    };
    query: Record<string, never>;
    body: {
      api_key?: string;
      channel_id?: string;
      asset?: string;
      bond_usd?: string;
    };
    response: {
      id: string;
      url: string;
      name: string;
      state: "pending" | "active" | "degraded" | "refused";
      capabilities_count: number;
      trust_score: number;
      last_crawl: string | null;
      last_ok: string | null;
      failures: number;
      signer_public_key: string | null;
      last_error?: string | null;
      next_crawl?: string;
      routing?: {
        configured: boolean;
        via: string | null;
        asset: string;
        bond_usd: string;
      };
    };
  };
  /** Signed v2 manifest: this hub's tools and its active peers' (5-field canonical) */
  getAiMarketManifestV2: {
    method: "GET";
    path: "/ai-market/v2/manifest";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Search this hub and its peers: source hub, routed price and trust per match */
  searchAiMarketV2: {
    method: "GET";
    path: "/ai-market/v2/search";
    params: Record<string, never>;
    query: {
      intent: string;
      budget?: string;
      max_latency_ms?: number;
      min_trust?: number;
      hub?: string;
      limit?: number;
    };
    body: never;
    response: unknown;
  };
  /** Invoke a capability of a peer hub, routed and paid through this hub */
  invokeAiMarketV2: {
    method: "POST";
    path: "/ai-market/v2/invoke";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      product_id: string;
      capability_id: string;
      source_hub: string;
      input: unknown;
    };
    response: unknown;
  };
  /** Factory Floor: counts, settled spend per asset, error rates, top services */
  getAiMarketStats: {
    method: "GET";
    path: "/ai-market/stats";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      generated_at: string;
      principals: {
        total: number;
        by_kind: Record<string, number>;
      };
      services: {
        active: number;
      };
      orders: {
        total: number;
        by_status: Record<string, number>;
      };
      invocations: {
        total: number;
        by_status: Record<string, number>;
      };
      settlements: {
        total: number;
        by_status: Record<string, number>;
        /** What buyers paid for settled orders, summed per asset (exact decimals) */
        spend: Array<{
          /** Decimal amount as a string, in the asset's major unit */
          amount: string;
          amount_minor: string;
          asset: string;
          settled_orders: number;
        }>;
      };
      receipts: {
        total: number;
      };
      market_orders: {
        total: number;
        by_status: Record<string, number>;
      };
      window: {
        since: string;
        invocations: {
          total: number;
          by_status: Record<string, number>;
        };
        error_rate: number | null;
      };
      top_services: Array<{
        service: string;
        skill_key: string;
        invocations: number;
        succeeded: number;
        failed: number;
        error_rate: number | null;
      }>;
    };
  };
  /** Live feed of invocations, settlements and market events (text/event-stream) */
  streamAiMarketLiveStats: {
    method: "GET";
    path: "/ai-market/v2/stats/live";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Console settings: assets, hub fee and on-chain deposit instructions */
  getConsoleConfig: {
    method: "GET";
    path: "/api/v1/console/config";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      assets: Array<{
        code: string;
        decimals: number;
      }>;
      hubFeeBps: number;
      onchainDeposit: {
        /** CAIP-2 network of the token */
        network: string;
        /** ERC-20 contract address */
        token: string;
        /** The hub's address to send the token to */
        payTo: string;
        ledgerAsset: string;
      } | null;
    };
  };
  /** Ask for a machine identity challenge (sign it with EIP-191 personal_sign) */
  createMachineIdentityChallenge: {
    method: "POST";
    path: "/api/v1/machine-identity/challenges";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      identityRef: string;
    };
    response: {
      item: {
        challengeId: string;
        identityRef: string;
        /** Sign exactly this text with EIP-191 personal_sign */
        message: string;
        expiresAt: string;
        verificationMethod: "eip191";
        controllerAddresses: string[];
        resolutionSource: string;
      };
    };
  };
  /** List your machines */
  listMachines: {
    method: "GET";
    path: "/api/v1/machines";
    params: Record<string, never>;
    query: {
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        displayName: string;
        status: string;
        ownerId: string;
        identityRef: string;
        identityProof: {
          method: "eip191";
          identityRef: string;
          signerAddress: string;
          challengeId: string;
          verifiedAt: string;
          challengeExpiresAt: string;
          controllerAddresses: string[];
          resolutionSource: string;
        };
        machineType: string;
        runtimeProfile: string;
        region: string;
        capabilities: string[];
        labels: Record<string, string>;
        skillKeys: string[];
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** Register a machine with an identity proof */
  createMachine: {
    method: "POST";
    path: "/api/v1/machines";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      identityRef: string;
      displayName?: string;
      machineType?: string;
      runtimeProfile?: string;
      region?: string;
      capabilities?: string[];
      labels?: Record<string, string>;
      skillKeys?: string[];
      /** false registers a draft (default true) */
      activate?: boolean;
      identityProof?: {
        challengeId: string;
        /** EIP-191 personal_sign signature (65 bytes, hex) */
        signature: string;
      };
    };
    response: {
      item: {
        id: string;
        displayName: string;
        status: string;
        ownerId: string;
        identityRef: string;
        identityProof: {
          method: "eip191";
          identityRef: string;
          signerAddress: string;
          challengeId: string;
          verifiedAt: string;
          challengeExpiresAt: string;
          controllerAddresses: string[];
          resolutionSource: string;
        };
        machineType: string;
        runtimeProfile: string;
        region: string;
        capabilities: string[];
        labels: Record<string, string>;
        skillKeys: string[];
        createdAt: string;
        updatedAt: string;
      };
    };
  };
  /** Read a machine; its identity proof is re-checked on every read */
  getMachine: {
    method: "GET";
    path: "/api/v1/machines/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      item: {
        id: string;
        displayName: string;
        status: string;
        ownerId: string;
        identityRef: string;
        identityProof: {
          method: "eip191";
          identityRef: string;
          signerAddress: string;
          challengeId: string;
          verifiedAt: string;
          challengeExpiresAt: string;
          controllerAddresses: string[];
          resolutionSource: string;
        };
        machineType: string;
        runtimeProfile: string;
        region: string;
        capabilities: string[];
        labels: Record<string, string>;
        skillKeys: string[];
        createdAt: string;
        updatedAt: string;
      };
    };
  };
  /** Change a machine (status through its state machine; identityRef is immutable) */
  updateMachine: {
    method: "PATCH";
    path: "/api/v1/machines/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      displayName?: string;
      machineType?: string;
      runtimeProfile?: string;
      region?: string;
      capabilities?: string[];
      labels?: Record<string, string>;
      skillKeys?: string[];
      identityRef?: string;
      status?: "draft" | "active" | "degraded" | "blocked" | "archived";
    };
    response: {
      item: {
        id: string;
        displayName: string;
        status: string;
        ownerId: string;
        identityRef: string;
        identityProof: {
          method: "eip191";
          identityRef: string;
          signerAddress: string;
          challengeId: string;
          verifiedAt: string;
          challengeExpiresAt: string;
          controllerAddresses: string[];
          resolutionSource: string;
        };
        machineType: string;
        runtimeProfile: string;
        region: string;
        capabilities: string[];
        labels: Record<string, string>;
        skillKeys: string[];
        createdAt: string;
        updatedAt: string;
      };
    };
  };
  /** Prove the machine's identity again (the way out of blocked) */
  reproveMachine: {
    method: "PUT";
    path: "/api/v1/machines/{id}/identity-proof";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      identityProof: {
        challengeId: string;
        /** EIP-191 personal_sign signature (65 bytes, hex) */
        signature: string;
      };
    };
    response: {
      item: {
        id: string;
        displayName: string;
        status: string;
        ownerId: string;
        identityRef: string;
        identityProof: {
          method: "eip191";
          identityRef: string;
          signerAddress: string;
          challengeId: string;
          verifiedAt: string;
          challengeExpiresAt: string;
          controllerAddresses: string[];
          resolutionSource: string;
        };
        machineType: string;
        runtimeProfile: string;
        region: string;
        capabilities: string[];
        labels: Record<string, string>;
        skillKeys: string[];
        createdAt: string;
        updatedAt: string;
      };
    };
  };
  /** List the operator registry of machine controllers (operator) */
  listMachineControllers: {
    method: "GET";
    path: "/api/v1/admin/machine-controllers";
    params: Record<string, never>;
    query: {
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        identityRef: string;
        controllerAddresses: string[];
      }>;
      nextCursor: string | null;
    };
  };
  /** Set the controllers of an identity in the operator registry (operator) */
  setMachineControllers: {
    method: "PUT";
    path: "/api/v1/admin/machine-controllers";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      identityRef: string;
      controllerAddresses: string[];
    };
    response: {
      item: {
        identityRef: string;
        controllerAddresses: string[];
      };
    };
  };
  /** Enrol a machine-side runtime agent; its token is shown once */
  enrollMachineAgent: {
    method: "POST";
    path: "/api/v1/machines/{id}/agents/enrollment";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      item: {
        agentId: string;
        machineId: string;
        status: string;
        lastSeenAt: string | null;
        createdAt: string;
      };
      /** Send as x-machine-agent-token; shown once */
      agentToken: string;
    };
  };
  /** A runtime agent's heartbeat: upserts its endpoints with a lease */
  machineAgentHeartbeat: {
    method: "POST";
    path: "/api/v1/machine-agents/heartbeat";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      endpoints: Array<{
        providerKey: string;
        url: string;
        protocol?: string;
        networkScope?: "public" | "private";
        capabilities?: string[];
        authToken?: string | null;
      }>;
    };
    response: {
      item: ({
        agentId: string;
        machineId: string;
        status: string;
        lastSeenAt: string | null;
        createdAt: string;
      }) & ({
        leaseExpiresAt: string;
        endpoints: Array<{
          machineId: string;
          providerKey: string;
          url: string;
          protocol: string;
          networkScope: string;
          capabilities: string[];
          hasAuthToken: boolean;
          agentId: string | null;
          leaseExpiresAt: string | null;
          status: "active" | "unreachable";
          createdAt: string;
          updatedAt: string;
        }>;
      });
    };
  };
  /** List runtime endpoints; those past their lease are unreachable */
  listRuntimeEndpoints: {
    method: "GET";
    path: "/api/v1/machines/{id}/runtime-endpoints";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        machineId: string;
        providerKey: string;
        url: string;
        protocol: string;
        networkScope: string;
        capabilities: string[];
        hasAuthToken: boolean;
        agentId: string | null;
        leaseExpiresAt: string | null;
        status: "active" | "unreachable";
        createdAt: string;
        updatedAt: string;
      }>;
    };
  };
  /** Read one runtime endpoint */
  getRuntimeEndpoint: {
    method: "GET";
    path: "/api/v1/machines/{id}/runtime-endpoints/{providerKey}";
    params: {
      id: string;
      providerKey: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      item: {
        machineId: string;
        providerKey: string;
        url: string;
        protocol: string;
        networkScope: string;
        capabilities: string[];
        hasAuthToken: boolean;
        agentId: string | null;
        leaseExpiresAt: string | null;
        status: "active" | "unreachable";
        createdAt: string;
        updatedAt: string;
      };
    };
  };
  /** Register or replace a runtime endpoint (no lease; authToken stored sealed) */
  putRuntimeEndpoint: {
    method: "PUT";
    path: "/api/v1/machines/{id}/runtime-endpoints/{providerKey}";
    params: {
      id: string;
      providerKey: string;
    };
    query: Record<string, never>;
    body: {
      url: string;
      protocol?: string;
      networkScope?: "public" | "private";
      capabilities?: string[];
      authToken?: string | null;
    };
    response: {
      item: {
        machineId: string;
        providerKey: string;
        url: string;
        protocol: string;
        networkScope: string;
        capabilities: string[];
        hasAuthToken: boolean;
        agentId: string | null;
        leaseExpiresAt: string | null;
        status: "active" | "unreachable";
        createdAt: string;
        updatedAt: string;
      };
    };
  };
  /** Remove a runtime endpoint */
  deleteRuntimeEndpoint: {
    method: "DELETE";
    path: "/api/v1/machines/{id}/runtime-endpoints/{providerKey}";
    params: {
      id: string;
      providerKey: string;
    };
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Ask for a challenge to bind an Ed25519 did:key or an EVM key to you */
  createKeyBindingChallenge: {
    method: "POST";
    path: "/api/v1/key-bindings/challenges";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** did:key, did:pkh or 0x… */
      key: string;
    };
    response: {
      item: {
        challengeId: string;
        keyType: string;
        did: string;
        /** Ed25519: sign the UTF-8 bytes; EVM: EIP-191 personal_sign */
        message: string;
        expiresAt: string;
      };
    };
  };
  /** A principal's verified key bindings (yours by default) */
  listKeyBindings: {
    method: "GET";
    path: "/api/v1/key-bindings";
    params: Record<string, never>;
    query: {
      principalId?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        principalId: string;
        keyType: "ed25519" | "evm";
        did: string;
        address: string | null;
        verifiedAt: string;
      }>;
    };
  };
  /** Bind a key with its signature of the challenge */
  createKeyBinding: {
    method: "POST";
    path: "/api/v1/key-bindings";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      challengeId: string;
      /** EVM: 0x… personal_sign; Ed25519: 64 bytes as hex or base64url */
      signature: string;
    };
    response: {
      item: {
        id: string;
        principalId: string;
        keyType: "ed25519" | "evm";
        did: string;
        address: string | null;
        verifiedAt: string;
      };
    };
  };
  /** Revoke one of your key bindings */
  revokeKeyBinding: {
    method: "DELETE";
    path: "/api/v1/key-bindings/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Your machines with their agent pairings, policies and spend today */
  ownerMachines: {
    method: "GET";
    path: "/api/v1/owner/machines";
    params: Record<string, never>;
    query: {
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        machine: {
          id: string;
          displayName: string;
          status: string;
          ownerId: string;
          identityRef: string;
          identityProof: {
            method: "eip191";
            identityRef: string;
            signerAddress: string;
            challengeId: string;
            verifiedAt: string;
            challengeExpiresAt: string;
            controllerAddresses: string[];
            resolutionSource: string;
          };
          machineType: string;
          runtimeProfile: string;
          region: string;
          capabilities: string[];
          labels: Record<string, string>;
          skillKeys: string[];
          createdAt: string;
          updatedAt: string;
        };
        pairings: Array<{
          id: string;
          machineId: string;
          status: string;
          agentAddress: string;
          agentDid: string;
          agentProvider: string;
          agentRole: string;
          description: string | null;
          verification: {
            method: "eip191";
            signerAddress: string;
            verifiedAt: string;
            challengeExpiresAt: string;
          };
          delegationPolicy: Record<string, unknown>;
          delegationPolicyHash: string;
          hasAuthToken: boolean;
          tokenLastFour: string | null;
          sessionId: string | null;
          sessionTokenId: string | null;
          sessionIssuedAt: string | null;
          sessionExpiresAt: string | null;
          spend: Array<{
            asset: string;
            today: {
              amount: string;
              amountMinor: string;
            };
            thisMonth: {
              amount: string;
              amountMinor: string;
            };
            total: {
              amount: string;
              amountMinor: string;
            };
          }>;
          createdAt: string;
          updatedAt: string;
          /** HS256 session JWT for x-agent-pairing-token; shown once */
          pairingToken?: string;
        }>;
      }>;
      nextCursor: string | null;
    };
  };
  /** Outcomes of the orders a machine's paired agents made, newest first */
  listMachineOutcomes: {
    method: "GET";
    path: "/api/v1/machines/{id}/outcomes";
    params: {
      id: string;
    };
    query: {
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        orderId: string;
        runId: string;
        pairingId: string;
        serviceId: string;
        skillKey: string;
        price: {
          amount: string;
          asset: string;
        };
        resultSha256: string;
        result: unknown;
        createdAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** Ask for an agent pairing (or session renewal) challenge */
  createAgentPairingChallenge: {
    method: "POST";
    path: "/api/v1/machines/{id}/agent-pairings/challenges";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      agentAddress: string;
      agentProvider: string;
      agentRole: string;
      agentDid?: string;
      /** pairing (the owner, with a write key) or session (the agent may ask itself) */
      purpose?: "pairing" | "session";
    };
    response: {
      item: {
        challengeId: string;
        machineId: string;
        purpose: string;
        pairingId: string | null;
        agentAddress: string;
        agentDid: string;
        /** Sign exactly this text with EIP-191 personal_sign */
        message: string;
        expiresAt: string;
      };
    };
  };
  /** List a machine's agent pairings with policies and spend */
  listAgentPairings: {
    method: "GET";
    path: "/api/v1/machines/{id}/agent-pairings";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      }>;
    };
  };
  /** Pair an agent with your active machine under a delegation policy */
  createAgentPairing: {
    method: "POST";
    path: "/api/v1/machines/{id}/agent-pairings";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      agentAddress: string;
      agentProvider: string;
      agentRole: string;
      agentDid?: string;
      description?: string;
      agentProof?: {
        challengeId: string;
        /** EIP-191 personal_sign signature (65 bytes, hex) */
        signature: string;
      };
      delegationPolicy: {
        allowedSkillKeys?: string[];
        deniedSkillKeys?: string[];
        allowedServiceIds?: string[];
        deniedServiceIds?: string[];
        allowedProviderKeys?: string[];
        deniedProviderKeys?: string[];
        allowedRails?: string[];
        deniedRails?: string[];
        currency?: string | null;
        perTransactionLimit?: string | null;
        dailySpendLimit?: string | null;
        monthlySpendLimit?: string | null;
        totalBudget?: string | null;
        expiresAt?: string | null;
      };
    };
    response: {
      item: {
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      };
    };
  };
  /** Read one agent pairing */
  getAgentPairing: {
    method: "GET";
    path: "/api/v1/machines/{id}/agent-pairings/{pairingId}";
    params: {
      id: string;
      pairingId: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      item: {
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      };
    };
  };
  /** Change a pairing's policy, status or description; old-policy tokens go stale */
  updateAgentPairing: {
    method: "PATCH";
    path: "/api/v1/machines/{id}/agent-pairings/{pairingId}";
    params: {
      id: string;
      pairingId: string;
    };
    query: Record<string, never>;
    body: {
      delegationPolicy?: {
        allowedSkillKeys?: string[];
        deniedSkillKeys?: string[];
        allowedServiceIds?: string[];
        deniedServiceIds?: string[];
        allowedProviderKeys?: string[];
        deniedProviderKeys?: string[];
        allowedRails?: string[];
        deniedRails?: string[];
        currency?: string | null;
        perTransactionLimit?: string | null;
        dailySpendLimit?: string | null;
        monthlySpendLimit?: string | null;
        totalBudget?: string | null;
        expiresAt?: string | null;
      };
      status?: "active" | "paused";
      description?: string | null;
    };
    response: {
      item: {
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      };
    };
  };
  /** Revoke a pairing at once (every token of it is refused from now on) */
  revokeAgentPairing: {
    method: "DELETE";
    path: "/api/v1/machines/{id}/agent-pairings/{pairingId}";
    params: {
      id: string;
      pairingId: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      item: {
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      };
    };
  };
  /** Rotate a pairing's session token with a fresh agent proof */
  rotateAgentPairingSession: {
    method: "POST";
    path: "/api/v1/machines/{id}/agent-pairings/{pairingId}/sessions";
    params: {
      id: string;
      pairingId: string;
    };
    query: Record<string, never>;
    body: {
      agentProof?: {
        challengeId: string;
        /** EIP-191 personal_sign signature (65 bytes, hex) */
        signature: string;
      };
    };
    response: {
      item: {
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      };
    };
  };
  /** The calling agent's pairing (x-agent-pairing-token), policy and spend */
  getAgentSession: {
    method: "GET";
    path: "/api/v1/machines/{id}/agent-session";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      item: {
        id: string;
        machineId: string;
        status: string;
        agentAddress: string;
        agentDid: string;
        agentProvider: string;
        agentRole: string;
        description: string | null;
        verification: {
          method: "eip191";
          signerAddress: string;
          verifiedAt: string;
          challengeExpiresAt: string;
        };
        delegationPolicy: Record<string, unknown>;
        delegationPolicyHash: string;
        hasAuthToken: boolean;
        tokenLastFour: string | null;
        sessionId: string | null;
        sessionTokenId: string | null;
        sessionIssuedAt: string | null;
        sessionExpiresAt: string | null;
        spend: Array<{
          asset: string;
          today: {
            amount: string;
            amountMinor: string;
          };
          thisMonth: {
            amount: string;
            amountMinor: string;
          };
          total: {
            amount: string;
            amountMinor: string;
          };
        }>;
        createdAt: string;
        updatedAt: string;
        /** HS256 session JWT for x-agent-pairing-token; shown once */
        pairingToken?: string;
      };
    };
  };
  /** Would the delegation policy allow this purchase now? (dry run, spends nothing) */
  checkAgentPolicy: {
    method: "POST";
    path: "/api/v1/machines/{id}/agent-session/policy-check";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      skillKey: string;
      serviceId: string;
      providerKey: string;
      rails: string[];
      /** Decimal amount as a string, in the asset's major unit */
      amount?: string;
      asset?: string;
    };
    response: {
      item: {
        allowed: boolean;
        rails?: string[];
        code?: string;
        reason?: string;
        detail?: string;
      };
    };
  };
  /** The public bounty feed: filters, full-text search (q), cursor pages */
  marketListBounties: {
    method: "GET";
    path: "/api/public/bounties";
    params: Record<string, never>;
    query: {
      q?: string;
      category?: string;
      tag?: string;
      status?: "open" | "closed" | "awarded" | "all";
      asset?: string;
      /** Decimal amount as a string, in the asset's major unit */
      priceMin?: string;
      /** Decimal amount as a string, in the asset's major unit */
      priceMax?: string;
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        kind: string;
        ownerId: string;
        title: string;
        description: string;
        category: string;
        tags: string[];
        price: {
          type: string;
          min: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          max: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
        };
        deadline: string | null;
        attachments: unknown[];
        status: string;
        ownerReputation: {
          principalId: string;
          score: number;
          reviews: number;
          ratingMean: number | null;
          completed: number;
          resolved: number;
          disputed: number;
          refunded: number;
          cancelled: number;
        } | null;
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** The public service feed: filters, full-text search (q), cursor pages */
  marketListServices: {
    method: "GET";
    path: "/api/public/services";
    params: Record<string, never>;
    query: {
      q?: string;
      category?: string;
      tag?: string;
      status?: "open" | "closed" | "awarded" | "all";
      asset?: string;
      /** Decimal amount as a string, in the asset's major unit */
      priceMin?: string;
      /** Decimal amount as a string, in the asset's major unit */
      priceMax?: string;
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        kind: string;
        ownerId: string;
        title: string;
        description: string;
        category: string;
        tags: string[];
        price: {
          type: string;
          min: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          max: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
        };
        deadline: string | null;
        attachments: unknown[];
        status: string;
        ownerReputation: {
          principalId: string;
          score: number;
          reviews: number;
          ratingMean: number | null;
          completed: number;
          resolved: number;
          disputed: number;
          refunded: number;
          cancelled: number;
        } | null;
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** My listings, newest first (any status unless filtered) */
  marketMyListings: {
    method: "GET";
    path: "/api/market/listings";
    params: Record<string, never>;
    query: {
      q?: string;
      category?: string;
      tag?: string;
      status?: "open" | "closed" | "awarded" | "all";
      asset?: string;
      /** Decimal amount as a string, in the asset's major unit */
      priceMin?: string;
      /** Decimal amount as a string, in the asset's major unit */
      priceMax?: string;
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        kind: string;
        ownerId: string;
        title: string;
        description: string;
        category: string;
        tags: string[];
        price: {
          type: string;
          min: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          max: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
        };
        deadline: string | null;
        attachments: unknown[];
        status: string;
        ownerReputation: {
          principalId: string;
          score: number;
          reviews: number;
          ratingMean: number | null;
          completed: number;
          resolved: number;
          disputed: number;
          refunded: number;
          cancelled: number;
        } | null;
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** Post a bounty (a need) or a service (an offer) */
  marketCreateListing: {
    method: "POST";
    path: "/api/market/listings";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      kind: "bounty" | "service";
      title: string;
      description: string;
      category: string;
      tags?: string[];
      price: {
        type: "fixed" | "range";
        /** Decimal amount as a string, in the asset's major unit */
        amount?: string;
        /** Decimal amount as a string, in the asset's major unit */
        min?: string;
        /** Decimal amount as a string, in the asset's major unit */
        max?: string;
      };
      asset: string;
      deadline?: string | null;
      attachments?: Array<{
        url: string;
        name?: string;
        sha256?: string;
      }>;
    };
    response: {
      id: string;
      kind: string;
      ownerId: string;
      title: string;
      description: string;
      category: string;
      tags: string[];
      price: {
        type: string;
        min: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        max: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
      };
      deadline: string | null;
      attachments: unknown[];
      status: string;
      ownerReputation: {
        principalId: string;
        score: number;
        reviews: number;
        ratingMean: number | null;
        completed: number;
        resolved: number;
        disputed: number;
        refunded: number;
        cancelled: number;
      } | null;
      createdAt: string;
      updatedAt: string;
    };
  };
  /** One listing with its owner's reputation */
  marketGetListing: {
    method: "GET";
    path: "/api/market/listings/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      kind: string;
      ownerId: string;
      title: string;
      description: string;
      category: string;
      tags: string[];
      price: {
        type: string;
        min: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        max: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
      };
      deadline: string | null;
      attachments: unknown[];
      status: string;
      ownerReputation: {
        principalId: string;
        score: number;
        reviews: number;
        ratingMean: number | null;
        completed: number;
        resolved: number;
        disputed: number;
        refunded: number;
        cancelled: number;
      } | null;
      createdAt: string;
      updatedAt: string;
    };
  };
  /** Edit an open listing, or close it (cancels its negotiations) */
  marketUpdateListing: {
    method: "PATCH";
    path: "/api/market/listings/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      title?: string;
      description?: string;
      category?: string;
      tags?: string[];
      price?: {
        type: "fixed" | "range";
        /** Decimal amount as a string, in the asset's major unit */
        amount?: string;
        /** Decimal amount as a string, in the asset's major unit */
        min?: string;
        /** Decimal amount as a string, in the asset's major unit */
        max?: string;
      };
      deadline?: string | null;
      attachments?: Array<{
        url: string;
        name?: string;
        sha256?: string;
      }>;
      status?: "closed";
    };
    response: {
      id: string;
      kind: string;
      ownerId: string;
      title: string;
      description: string;
      category: string;
      tags: string[];
      price: {
        type: string;
        min: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        max: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
      };
      deadline: string | null;
      attachments: unknown[];
      status: string;
      ownerReputation: {
        principalId: string;
        score: number;
        reviews: number;
        ratingMean: number | null;
        completed: number;
        resolved: number;
        disputed: number;
        refunded: number;
        cancelled: number;
      } | null;
      createdAt: string;
      updatedAt: string;
    };
  };
  /** Open a negotiation on a bounty or service → {order, thread} */
  marketNegotiate: {
    method: "POST";
    path: "/api/market/negotiations";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      sourceType: "bounty" | "service";
      sourceId: string;
      message?: string;
    };
    response: {
      order: {
        id: string;
        listingId: string;
        listingKind: string;
        buyerId: string;
        sellerId: string;
        status: string;
        version: number;
        terms: {
          scope: string;
          price: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          deliveryDeadline: string | null;
        };
        termsHash: string;
        /** What each party may fire next (a condition such as a deadline may still refuse) */
        allowedEvents: {
          buyer: string[];
          seller: string[];
        };
        agreed: {
          buyer: boolean;
          seller: boolean;
        };
        fee: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        holdId: string | null;
        rejections: number;
        round: number;
        proof: {
          text: string;
          urls: string[];
          digests: string[];
        } | null;
        createdAt: string;
        updatedAt: string;
      };
      thread: {
        id: string;
        orderId: string;
        buyerId: string;
        sellerId: string;
        messages: number;
        createdAt: string;
        lastMessageAt: string;
      };
      receipts: string[];
    };
  };
  /** My market orders as buyer or seller, newest first (operator: all=true) */
  marketListOrders: {
    method: "GET";
    path: "/api/market/orders";
    params: Record<string, never>;
    query: {
      /** every party's orders (operator) */
      all?: boolean;
      status?: "NEGOTIATING" | "AWAITING_PAY" | "ESCROWED" | "DELIVERING" | "PROOF_SUBMITTED" | "REVIEWING" | "COMPLETED" | "CANCELLED" | "DISPUTED" | "REFUNDED" | "RESOLVED";
      listingId?: string;
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        listingId: string;
        listingKind: string;
        buyerId: string;
        sellerId: string;
        status: string;
        version: number;
        terms: {
          scope: string;
          price: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          deliveryDeadline: string | null;
        };
        termsHash: string;
        /** What each party may fire next (a condition such as a deadline may still refuse) */
        allowedEvents: {
          buyer: string[];
          seller: string[];
        };
        agreed: {
          buyer: boolean;
          seller: boolean;
        };
        fee: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        holdId: string | null;
        rejections: number;
        round: number;
        proof: {
          text: string;
          urls: string[];
          digests: string[];
        } | null;
        createdAt: string;
        updatedAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** One order with its audit trail, receipts, dispute and reviews */
  marketGetOrder: {
    method: "GET";
    path: "/api/market/orders/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      listingId: string;
      listingKind: string;
      buyerId: string;
      sellerId: string;
      status: string;
      version: number;
      terms: {
        scope: string;
        price: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        deliveryDeadline: string | null;
      };
      termsHash: string;
      /** What each party may fire next (a condition such as a deadline may still refuse) */
      allowedEvents: {
        buyer: string[];
        seller: string[];
      };
      agreed: {
        buyer: boolean;
        seller: boolean;
      };
      fee: {
        amount: string;
        amountMinor: string;
        asset: string;
      };
      holdId: string | null;
      rejections: number;
      round: number;
      proof: {
        text: string;
        urls: string[];
        digests: string[];
      } | null;
      createdAt: string;
      updatedAt: string;
      threadId: string;
      events: Array<{
        id: string;
        event: string;
        from: string;
        to: string;
        actorId: string;
        role: string;
        reason: string;
        at: string;
      }>;
      receipts: Array<{
        id: string;
        kind: string;
        jws: string;
        prevId: string | null;
      }>;
      dispute: {
        openedBy: string;
        reason: string;
        openedAt: string;
        evidenceDeadline: string | null;
        decision: {
          decidedBy: string;
          sellerShareBps: number;
          seller: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          buyer: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          fee: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          note: string;
          decidedAt: string;
        } | null;
      } | null;
      reviews: Array<{
        id: string;
        orderId: string;
        authorId: string;
        subjectId: string;
        authorRole: string;
        rating: number;
        text: string;
        createdAt: string;
      }>;
    };
  };
  /** Fire an event (agree, fund, start, submit_proof, start_review, accept, reject, dispute, cancel, resolve); with Idempotency-Key a repeat returns the state as it is */
  marketOrderEvent: {
    method: "PATCH";
    path: "/api/market/orders/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      event: "agree" | "fund" | "start" | "submit_proof" | "start_review" | "accept" | "reject" | "dispute" | "cancel" | "resolve";
      terms?: {
        scope?: string;
        /** Decimal amount as a string, in the asset's major unit */
        price?: string;
        deliveryDeadline?: string | null;
      };
      proof?: {
        text: string;
        urls?: string[];
        digests?: string[];
      };
      reason?: string;
      evidenceDeadline?: string;
      evidence?: Array<{
        url: string;
        name?: string;
        sha256?: string;
      }>;
      sellerShareBps?: number;
    };
    response: {
      order: {
        id: string;
        listingId: string;
        listingKind: string;
        buyerId: string;
        sellerId: string;
        status: string;
        version: number;
        terms: {
          scope: string;
          price: {
            amount: string;
            amountMinor: string;
            asset: string;
          };
          deliveryDeadline: string | null;
        };
        termsHash: string;
        /** What each party may fire next (a condition such as a deadline may still refuse) */
        allowedEvents: {
          buyer: string[];
          seller: string[];
        };
        agreed: {
          buyer: boolean;
          seller: boolean;
        };
        fee: {
          amount: string;
          amountMinor: string;
          asset: string;
        };
        holdId: string | null;
        rejections: number;
        round: number;
        proof: {
          text: string;
          urls: string[];
          digests: string[];
        } | null;
        createdAt: string;
        updatedAt: string;
      };
      receipts: string[];
      replayed: boolean;
    };
  };
  /** An order's thread */
  marketGetThread: {
    method: "GET";
    path: "/api/market/threads/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      orderId: string;
      buyerId: string;
      sellerId: string;
      messages: number;
      createdAt: string;
      lastMessageAt: string;
    };
  };
  /** A thread's messages, oldest first; pass nextCursor to read on */
  marketListMessages: {
    method: "GET";
    path: "/api/market/threads/{id}/messages";
    params: {
      id: string;
    };
    query: {
      cursor?: string;
      limit?: number;
      kind?: "text" | "system" | "evidence";
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        threadId: string;
        authorId: string;
        kind: string;
        body: string;
        attachments: unknown[];
        createdAt: string;
      }>;
      nextCursor: string | null;
    };
  };
  /** Post to an order's thread (evidence only while the order is disputed) */
  marketPostMessage: {
    method: "POST";
    path: "/api/market/threads/{id}/messages";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      body: string;
      kind?: "text" | "evidence";
      attachments?: Array<{
        url: string;
        name?: string;
        sha256?: string;
      }>;
    };
    response: {
      id: string;
      threadId: string;
      authorId: string;
      kind: string;
      body: string;
      attachments: unknown[];
      createdAt: string;
    };
  };
  /** Follow a thread live: its new messages as Server-Sent Events */
  marketStreamThread: {
    method: "GET";
    path: "/api/market/threads/{id}/events";
    params: {
      id: string;
    };
    query: {
      after?: string;
    };
    body: never;
    response: unknown;
  };
  /** Review the other side of a completed or resolved order (once) */
  marketReviewOrder: {
    method: "POST";
    path: "/api/market/orders/{id}/reviews";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      rating: number;
      text: string;
    };
    response: {
      id: string;
      orderId: string;
      authorId: string;
      subjectId: string;
      authorRole: string;
      rating: number;
      text: string;
      createdAt: string;
    };
  };
  /** A principal's market reputation and latest reviews */
  marketGetPrincipal: {
    method: "GET";
    path: "/api/public/principals/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      kind: string;
      handle: string;
      displayName: string;
      reputation: {
        principalId: string;
        score: number;
        reviews: number;
        ratingMean: number | null;
        completed: number;
        resolved: number;
        disputed: number;
        refunded: number;
        cancelled: number;
      };
      reviews: Array<{
        id: string;
        orderId: string;
        authorId: string;
        subjectId: string;
        authorRole: string;
        rating: number;
        text: string;
        createdAt: string;
      }>;
    };
  };
  /** My webhook endpoints, and the event types the hub sends */
  listWebhooks: {
    method: "GET";
    path: "/api/v1/webhooks";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Array<{
        id: string;
        url: string;
        event_types: string[];
        description: string;
        status: string;
        disabled_reason: string | null;
        previous_secret_until: string | null;
        created_at: string;
        updated_at: string;
      }>;
      event_types: string[];
    };
  };
  /** Subscribe an endpoint to events (Standard Webhooks signatures) */
  createWebhook: {
    method: "POST";
    path: "/api/v1/webhooks";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      url: string;
      event_types: string[];
      description?: string;
    };
    response: {
      endpoint: {
        id: string;
        url: string;
        event_types: string[];
        description: string;
        status: string;
        disabled_reason: string | null;
        previous_secret_until: string | null;
        created_at: string;
        updated_at: string;
      };
      /** whsec_…: shown this once; verify with standardwebhooks */
      secret: string;
    };
  };
  /** One webhook endpoint */
  getWebhook: {
    method: "GET";
    path: "/api/v1/webhooks/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      url: string;
      event_types: string[];
      description: string;
      status: string;
      disabled_reason: string | null;
      previous_secret_until: string | null;
      created_at: string;
      updated_at: string;
    };
  };
  /** Change an endpoint's URL, events or description; enable or disable it */
  updateWebhook: {
    method: "PATCH";
    path: "/api/v1/webhooks/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      url?: string;
      event_types?: string[];
      description?: string;
      enabled?: boolean;
    };
    response: {
      id: string;
      url: string;
      event_types: string[];
      description: string;
      status: string;
      disabled_reason: string | null;
      previous_secret_until: string | null;
      created_at: string;
      updated_at: string;
    };
  };
  /** Delete an endpoint and its deliveries */
  deleteWebhook: {
    method: "DELETE";
    path: "/api/v1/webhooks/{id}";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      deleted: boolean;
    };
  };
  /** Rotate the secret (shown once); the old one also signs during the overlap */
  rotateWebhookSecret: {
    method: "POST";
    path: "/api/v1/webhooks/{id}/rotate-secret";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: {
      overlap_seconds?: number;
    };
    response: {
      endpoint: {
        id: string;
        url: string;
        event_types: string[];
        description: string;
        status: string;
        disabled_reason: string | null;
        previous_secret_until: string | null;
        created_at: string;
        updated_at: string;
      };
      /** whsec_…: shown this once; verify with standardwebhooks */
      secret: string;
    };
  };
  /** Deliveries to an endpoint, newest first, with their latest attempts */
  listWebhookDeliveries: {
    method: "GET";
    path: "/api/v1/webhooks/{id}/deliveries";
    params: {
      id: string;
    };
    query: {
      status?: "pending" | "succeeded" | "dead";
      limit?: number;
      cursor?: string;
    };
    body: never;
    response: {
      items: Array<{
        id: string;
        /** The webhook-id header: the same on every attempt */
        message_id: string;
        endpoint_id: string;
        type: string;
        status: string;
        generation: number;
        attempts: number;
        next_attempt_at: string | null;
        last_status_code: number | null;
        last_error: string | null;
        delivered_at: string | null;
        created_at: string;
        attempts_list?: Array<{
          attempt: number;
          generation: number;
          at: string;
          status_code: number | null;
          error: string | null;
          duration_ms: number;
        }>;
      }>;
      next_cursor: string | null;
    };
  };
  /** Send one delivery again (same webhook-id, a fresh round of attempts) */
  redeliverWebhook: {
    method: "POST";
    path: "/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver";
    params: {
      id: string;
      deliveryId: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      id: string;
      /** The webhook-id header: the same on every attempt */
      message_id: string;
      endpoint_id: string;
      type: string;
      status: string;
      generation: number;
      attempts: number;
      next_attempt_at: string | null;
      last_status_code: number | null;
      last_error: string | null;
      delivered_at: string | null;
      created_at: string;
      attempts_list?: Array<{
        attempt: number;
        generation: number;
        at: string;
        status_code: number | null;
        error: string | null;
        duration_ms: number;
      }>;
    };
  };
  /** Send every dead (failed) delivery of an endpoint again */
  redeliverFailedWebhooks: {
    method: "POST";
    path: "/api/v1/webhooks/{id}/redeliver";
    params: {
      id: string;
    };
    query: Record<string, never>;
    body: never;
    response: {
      redelivered: number;
    };
  };
  /** Ask for a Sign-In with Ethereum nonce and the EIP-4361 message parts to sign */
  createSessionNonce: {
    method: "POST";
    path: "/api/v1/session/nonce";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** Answer the message too */
      address?: string;
      chainId?: number;
    };
    response: {
      nonce: string;
      domain: string;
      uri: string;
      version: "1";
      chainId: number;
      statement: string;
      issuedAt: string;
      expirationTime: string;
      /** The EIP-4361 message for `address`, ready to sign (null without an address) */
      message: string | null;
    };
  };
  /** The console session of this cookie, with its CSRF token */
  getSession: {
    method: "GET";
    path: "/api/v1/session";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      session: {
        id: string;
        method: "siwe" | "api_key";
        address: string | null;
        scope: "read" | "write" | "admin";
        createdAt: string;
        expiresAt: string;
      };
      principal: {
        id: string;
        kind: string;
        handle: string;
        display_name: string;
        webhook_url: string | null;
        status: string;
        created_at: string;
      };
      /** Send it as x-csrf-token on state-changing requests */
      csrfToken: string;
    };
  };
  /** Sign in with Ethereum (EIP-4361): a signed message opens a cookie session */
  createSession: {
    method: "POST";
    path: "/api/v1/session";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      message: string;
      signature: string;
    };
    response: {
      session: {
        id: string;
        method: "siwe" | "api_key";
        address: string | null;
        scope: "read" | "write" | "admin";
        createdAt: string;
        expiresAt: string;
      };
      principal: {
        id: string;
        kind: string;
        handle: string;
        display_name: string;
        webhook_url: string | null;
        status: string;
        created_at: string;
      };
    };
  };
  /** Sign out: end this console session and clear its cookie */
  deleteSession: {
    method: "DELETE";
    path: "/api/v1/session";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: unknown;
  };
  /** Exchange an API key for a cookie session of its scope (operators in a browser) */
  createKeySession: {
    method: "POST";
    path: "/api/v1/session/key";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      apiKey: string;
    };
    response: {
      session: {
        id: string;
        method: "siwe" | "api_key";
        address: string | null;
        scope: "read" | "write" | "admin";
        createdAt: string;
        expiresAt: string;
      };
      principal: {
        id: string;
        kind: string;
        handle: string;
        display_name: string;
        webhook_url: string | null;
        status: string;
        created_at: string;
      };
    };
  };
}
