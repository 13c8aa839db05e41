import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { pipelineLimits } from "../../src/pipelines/limits.ts";

describe("the pipeline runners' lease from the hub's configuration", () => {
  it("reads AGX_PIPELINE_LEASE_MS, 60 s by default", () => {
    expect(loadConfig({ env: {} }).pipeline_lease_ms).toBe(pipelineLimits.lease_ms);
    expect(pipelineLimits.lease_ms).toBe(60_000);
    expect(loadConfig({ env: { AGX_PIPELINE_LEASE_MS: "30000" } }).pipeline_lease_ms).toBe(30_000);
  });

  it("refuses a lease over an hour, not a whole number of ms, or under 10 s outside test mode", () => {
    for (const bad of ["3600001", "2.5s", "-1", "9999"]) {
      expect(() => loadConfig({ env: { AGX_PIPELINE_LEASE_MS: bad } })).toThrow(ConfigError);
    }
    const test = { AGX_ENV: "test" };
    expect(loadConfig({ env: { ...test, AGX_PIPELINE_LEASE_MS: "1000" } }).pipeline_lease_ms).toBe(
      1000,
    );
    expect(() => loadConfig({ env: { ...test, AGX_PIPELINE_LEASE_MS: "999" } })).toThrow(
      ConfigError,
    );
  });
});
