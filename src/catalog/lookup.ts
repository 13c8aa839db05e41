import type { Executor } from "../db/db.ts";
import { limits } from "../kernel/limits.ts";
import type { Service, Skill } from "./model.ts";
import * as store from "./store.ts";

/** A map that forgets its oldest entry past `max` entries. */
function boundedMap<V>(max: number) {
  const map = new Map<string, V>();
  return {
    get: (key: string) => map.get(key),
    set(key: string, value: V) {
      if (map.size >= max) {
        const oldest = map.keys().next().value;
        if (oldest !== undefined) map.delete(oldest);
      }
      map.set(key, value);
    },
  };
}

/**
 * Name and key lookups on the hot path (invoke, quote, pricing). Which version a name or key
 * means now is always read from the database, one narrow row; the version itself (a JSON body
 * and a skill's operations) never changes once written, so its parsed form is kept by id. Only
 * `status` (retire) and `latest` change on a version row, and they come from the read.
 */
export function createLookup() {
  const services = boundedMap<Service>(limits.catalog_version_cache_max);
  const skills = boundedMap<Skill>(limits.catalog_version_cache_max);

  async function serviceVersion(ex: Executor, ref: store.ServiceRef): Promise<Service | null> {
    let service = services.get(ref.service_id);
    if (!service) {
      const read = await store.getService(ex, ref.service_id);
      if (!read) return null;
      services.set(ref.service_id, read);
      service = read;
    }
    return { ...service, status: ref.status, latest: true };
  }

  async function skillVersion(ex: Executor, id: string): Promise<Skill | null> {
    let skill = skills.get(id);
    if (!skill) {
      const read = await store.skillById(ex, id);
      if (!read) return null;
      skills.set(id, read);
      skill = read;
    }
    return { ...skill, latest: true };
  }

  /** The latest version of a service by name (null when none). */
  async function serviceByName(ex: Executor, name: string): Promise<Service | null> {
    const ref = await store.serviceRefByName(ex, name);
    return ref ? serviceVersion(ex, ref) : null;
  }

  /** A skill by key: the given version, else the latest (null when none). */
  async function getSkill(ex: Executor, key: string, version?: string): Promise<Skill | null> {
    if (version !== undefined) return store.skillByKey(ex, key, version);
    const id = await store.latestSkillId(ex, key);
    return id ? skillVersion(ex, id) : null;
  }

  /**
   * The latest version of a service by name and the latest version of its skill, read in one
   * statement when both versions were seen before (null when there is no such service; `skill`
   * null when its skill is missing).
   */
  async function serviceWithSkill(
    ex: Executor,
    name: string,
  ): Promise<{ service: Service; skill: Skill | null } | null> {
    const ref = await store.serviceRefByName(ex, name);
    if (!ref) return null;
    const service = await serviceVersion(ex, ref);
    if (!service) return null;
    return { service, skill: ref.skill_id ? await skillVersion(ex, ref.skill_id) : null };
  }

  /**
   * Services that search just found among the latest active ones, by id, in the order asked:
   * parsed versions seen before come from memory (as latest and active, which is what the
   * search rows said), the rest in one read.
   */
  async function searchedServices(ex: Executor, ids: string[]): Promise<Service[]> {
    const missing = ids.filter((id) => !services.get(id));
    if (missing.length) {
      for (const s of await store.servicesByIds(ex, missing)) services.set(s.id, s);
    }
    return ids.flatMap((id) => {
      const s = services.get(id);
      return s ? [{ ...s, status: "active" as const, latest: true }] : [];
    });
  }

  return { serviceByName, getSkill, serviceWithSkill, searchedServices };
}
