// What a Customer resolver receives: the golden id, resolved lazily through the request's loaders.
export interface CustomerParent {
  id: string;
}
