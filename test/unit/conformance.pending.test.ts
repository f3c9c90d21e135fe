// conformance.pending.test.ts — the conformance cases that fail today because of a known bug
// (test/unit/skeleton/subjects.ts `pending`, which says which). Each asserts the correct
// behaviour; once its fix lands, its entry leaves `pending` and it runs in
// conformance.test.ts. Expected to fail until then.
import { conformance } from "./skeleton/conformance";
import { pending, subjects } from "./skeleton/subjects";

for (const subject of subjects) {
  const cases = pending[subject.name];
  if (cases?.length) conformance(subject, { only: cases });
}
