import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Async handlers: a rejection reaches express's error handler instead of hanging the request. */
export function handle(fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return (req, res, next) => {
    Promise.resolve(fn(req, res)).catch(next);
  };
}

/** An async step that goes on to the next handler when it resolves. */
export function middleware(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next: NextFunction) => {
    fn(req, res).then(() => next(), next);
  };
}

export function sendPage(res: Response, status: number, page: { toString(): string }): void {
  res.status(status).type('html').send(page.toString());
}
