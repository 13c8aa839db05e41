import { readFile } from "node:fs/promises";
import { Type } from "@sinclair/typebox";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { App } from "../../app.ts";
import { allProblems } from "../../catalogue.ts";
import type { AppContext } from "../../context.ts";

const docsDir = new URL("../../../../docs/problems/", import.meta.url);

/** A problem's documentation page: the `type` URI of every problem resolves here. */
export default function problemDoc(app: App, _ctx: AppContext) {
  const known = allProblems();
  app.get(
    "/problems/:code",
    {
      schema: {
        summary: "Documentation of a problem code",
        tags: ["system"],
        operationId: "getProblemDoc",
        params: Type.Object({ code: Type.String({ pattern: "^[A-Z][A-Z0-9_]+$", maxLength: 80 }) }),
        produces: ["text/markdown"],
      },
    },
    async (request, reply) => {
      const spec = known.get(request.params.code);
      if (!spec) {
        throw new Problem(kernelProblems.NOT_FOUND, `no problem code ${request.params.code}`);
      }
      const text = await readFile(new URL(`${spec.code}.md`, docsDir), "utf8");
      return reply.type("text/markdown; charset=utf-8").send(text);
    },
  );
}
