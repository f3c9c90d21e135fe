// index.ts — the model-checking harness of test/model (issue 3). A protocol test imports
// from here only. See test/model/README.md for how to write, run and replay one.
export { explore, replay, Model, type ModelTest, type SetupEnv, type CheckEnv, type ExploreResult, type Failure } from "./scheduler";
export { VThread, ModelViolation, OP, type HistoryOp } from "./vthread";
export { checkLinearizable, describeOp, type Spec } from "./linearizability";
export { mutexSpec, semaphoreSpec, rwlockSpec, boundedQueueSpec, allocatorSpec } from "./specs";
export { modelSuite, seededBug } from "./suite";
export { modelExecutions } from "./budget";
export { readFailure, writeFailure } from "./failure";
export { quiescentWindows, linearizationEnds, checkWindows, type WindowsResult } from "./windows";
