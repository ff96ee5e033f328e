import { TodoApp } from "@/components/TodoApp";

// The page shell is static; todos load in the browser through /api/*, so the page never
// blocks on (or breaks with) the backend.
export default function Home() {
  return <TodoApp />;
}
