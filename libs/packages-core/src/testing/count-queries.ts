import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import type { BeforeQueryEvent } from 'typeorm/subscriber/event/QueryEvent';

/**
 * Counts the SQL statements `work` sends through `dataSource` (a TypeORM subscriber sees
 * every query before it runs), for tests that hold a read to a fixed number of queries.
 * Nothing else may use the data source meanwhile.
 */
export async function countQueries<T>(
  dataSource: DataSource,
  work: () => Promise<T>,
): Promise<{ result: T; queries: string[] }> {
  const queries: string[] = [];
  const counter: EntitySubscriberInterface = {
    beforeQuery: (event: BeforeQueryEvent<unknown>) => {
      queries.push(event.query);
    },
  };
  dataSource.subscribers.push(counter);
  try {
    return { result: await work(), queries };
  } finally {
    dataSource.subscribers.splice(dataSource.subscribers.indexOf(counter), 1);
  }
}
