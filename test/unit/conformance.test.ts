// conformance.test.ts — every primitive and channel through the one conformance skeleton
// (test/unit/skeleton/conformance.ts): every case that applies to each structure (subjects.ts).
import { conformance } from "./skeleton/conformance";
import { subjects } from "./skeleton/subjects";

for (const subject of subjects) conformance(subject);
